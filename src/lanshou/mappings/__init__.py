"""Built-in import mappings (``generic``, ``douyin``, ``olist``); see ``lanshou import orders``."""
