"""Metrics dashboards: claims, questions, post-sale messages and the reputation forecast.

Facts are folded from conversations and claim records into daily aggregates (`rollups`), the pages
add those up (`*_board`), and charts are drawn on the server as SVG (`charts`). See docs/dashboards.md.
"""
