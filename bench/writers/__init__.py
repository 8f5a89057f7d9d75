"""Writers of the generated listens as Maloja, Spotify and ListenBrainz exports.

Writers stream item by item: memory holds the catalogue, never the listens.
"""
