"""Personal data: found in tables (detect), replaced by keyed tokens at ingest
(tokenise), kept out of everything sent to an LLM (boundary), and shown back only in
the thread it came from (restore)."""
