"""Comparing two Koito databases by content (issue 10): what Koito built against what
koito-import built."""
