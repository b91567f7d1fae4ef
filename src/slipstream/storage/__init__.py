"""Blob stores, the data layout and content hashing.

Every byte of task data goes through a :class:`BlobStore`; :class:`DataLayout` says where each
execution's inputs, outputs, checkpoints and logs live; the hashing functions give the content
hashes the cache keys on. Importing this package imports neither fsspec nor any other heavy library.
"""

from ._hashing import hash_bytes, hash_dir, hash_file, hash_uri
from ._home import default_store_url, slipstream_home
from ._layout import AttemptLayout, DataLayout, node_segment
from ._store import (
    BlobStore,
    FsspecBlobStore,
    LocalBlobStore,
    is_local_url,
    open_store,
    store_for_uri,
)

__all__ = [
    "AttemptLayout",
    "BlobStore",
    "DataLayout",
    "FsspecBlobStore",
    "LocalBlobStore",
    "default_store_url",
    "hash_bytes",
    "hash_dir",
    "hash_file",
    "hash_uri",
    "is_local_url",
    "node_segment",
    "open_store",
    "slipstream_home",
    "store_for_uri",
]
