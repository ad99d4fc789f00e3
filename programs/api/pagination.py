"""Pagination with a stable order: page numbers for most lists, cursors for the big tables."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorPagination(pagination.CursorPagination):
    """For tables that grow without bound (workshare, milestones, flags).

    The view's ``ordering`` (or the ``ordering`` parameter) decides the order; its first field
    must be a plain, non-null column, which the views' ``ordering_fields`` guarantee.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
