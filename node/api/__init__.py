"""The node's HTTP API (aiohttp), served in the same process and event loop as the indexer."""
