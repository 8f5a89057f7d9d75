"""Koito's rules for turning scrobbles into artists, releases and tracks (SPEC §3), planned
batch by batch against what a store holds. No back-end code: it may import core and the store
interface (store.base), never a back end."""
