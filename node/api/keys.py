"""Typed keys for what the application holds (aiohttp ``web.AppKey``), in one place."""

from __future__ import annotations

from aiohttp import web

from node.api.cache import Answers
from node.config import NodeConfig
from node.indexer.indexer import Indexer
from node.store import Store

CONFIG = web.AppKey("config", NodeConfig)
STORE = web.AppKey("store", Store)
INDEXER = web.AppKey("indexer", Indexer)
MAX_BODY = web.AppKey("max_body", int)
#: The public catalogue's kept answers (node.api.cache).
ANSWERS = web.AppKey("catalogue_answers", Answers)
