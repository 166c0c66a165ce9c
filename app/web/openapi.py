"""The OpenAPI 3.1 description of /api/v1, kept next to the routes it describes."""
from __future__ import annotations

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Homeostasis API", "version": "1.0.0",
                 "description": "Consultation types, open slots, bookings and the MCAS intake."},
        "servers": [{"url": "/api/v1"}],
        "paths": {},
        "components": {"schemas": {"Error": ERROR}},
    }
