"""Comparing two Koito databases by content (issue 10): what Koito built against what
koito-import built, for tools/compare.py and the tests. It reads
with the drivers alone and may import core only."""
