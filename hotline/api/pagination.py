"""Pagination: cursors for the lists that grow without end (calls, tips, cases, events), so
that a page costs the same at row 10 as at row 1,000,000 and rows added meanwhile are neither
skipped nor repeated; page numbers for the small reference lists."""

from rest_framework import pagination


class Cursor(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"


class Pages(pagination.PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
