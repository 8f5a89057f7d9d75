"""What the database holds, in the terminal: read-only connections (readers), the queries
counted as Koito counts (queries), the numbers and their JSON (data), and bar charts and top
lists (charts). It only reads; it may import core and the store's errors, nothing that
writes."""
