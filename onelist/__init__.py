"""onelist: list once, recognised at every member exchange (一地挂牌、全网互认)."""

__version__ = "0.1.0"
