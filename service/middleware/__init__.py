"""Pure ASGI middleware that refuses hostile requests before any route code runs."""

from service.middleware.body_limit import BodyLimitMiddleware
from service.middleware.content_type import JsonContentTypeMiddleware
from service.middleware.head import HeadAsGetMiddleware

__all__ = ["BodyLimitMiddleware", "HeadAsGetMiddleware", "JsonContentTypeMiddleware"]
