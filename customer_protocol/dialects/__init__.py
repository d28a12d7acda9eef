"""The dialects of the customer protocol: each one data and small pure functions beside the engine.

``v0.3`` (chat.io) lives in the core's own modules; the LiveChat v3.x dialect (``spec/v3.md``)
lives in the ``v3_*`` modules of this package.
"""
