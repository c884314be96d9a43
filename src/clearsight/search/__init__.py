"""Search: find anyone and anything the viewer may see, and say why it matched.

Public surface:
- :func:`search` with :class:`SearchResults`, :class:`SearchHit` and :class:`Reason`
- :func:`refresh_index`: keep the derived index in step after ingest, resolution or erasure
- :func:`update_index`: bring the index up to date now, as the next search would
- :func:`profile` with :class:`Profile`: one canonical entity's values, links and timeline
"""

from clearsight.search.profile import Profile, profile
from clearsight.search.service import (
    Reason,
    SearchHit,
    SearchResults,
    refresh_index,
    search,
    update_index,
)

__all__ = ["Profile", "Reason", "SearchHit", "SearchResults", "profile", "refresh_index", "search", "update_index"]
