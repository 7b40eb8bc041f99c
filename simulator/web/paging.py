"""One way to page a list, for the API and the cabinet's JSON alike.

``limit`` and ``offset`` in (bounded: a page is never the whole table); ``total``,
``limit``, ``offset`` and ``next``, the relative link to the following page with the
same filters, out.  A route takes ``page: ListPage`` (or ``MessagePage``, whose pages are
larger) and answers ``{"rows": ..., **page.answer(total)}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

LIST_DEFAULT, LIST_MAX = 1000, 10_000  # rows per page of a list
# Most messages one reply holds (memory per request); a page costs the same at any offset.
MESSAGES_DEFAULT = MESSAGES_MAX = 10_000
OFFSET_MAX = 2**53  # beyond any table; keeps SQLite's integers and JSON's numbers exact


@dataclass(frozen=True)
class Page:
    """One page of a list: the slice asked for, and how to link to the next one."""

    limit: int
    offset: int
    path: str
    query: dict[str, str]

    def answer(self, total: int) -> dict[str, Any]:
        following = None
        if self.offset + self.limit < total:
            query = {**self.query, "limit": self.limit, "offset": self.offset + self.limit}
            following = f"{self.path}?{urlencode(query)}"
        return {"total": total, "limit": self.limit, "offset": self.offset, "next": following}

    def of(self, rows: list[Any]) -> list[Any]:
        """This page's slice of a list already in memory."""
        return rows[self.offset : self.offset + self.limit]


def list_page(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=LIST_MAX, description="rows per page")] = LIST_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX, description="rows to skip")] = 0,
) -> Page:
    return Page(limit, offset, request.url.path, dict(request.query_params))


def message_page(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MESSAGES_MAX, description="messages per page")] = MESSAGES_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX, description="messages to skip")] = 0,
) -> Page:
    return Page(limit, offset, request.url.path, dict(request.query_params))


ListPage = Annotated[Page, Depends(list_page)]
MessagePage = Annotated[Page, Depends(message_page)]
