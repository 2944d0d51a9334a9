"""Errors that services raise and the API turns into 4xx answers a person can act on."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors a caller of a service can fix; ``str(error)`` is the message shown."""

    status_code = 400


class InvalidInput(ServiceError):
    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class Forbidden(ServiceError):
    status_code = 403
