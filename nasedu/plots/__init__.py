"""The lessons' figures, one module per lesson; each function returns a matplotlib Figure.

They double as widget callbacks (see ``nasedu.widgets.View``): plain functions of plain
values, so the tests call them directly.
"""
