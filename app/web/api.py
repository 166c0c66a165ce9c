"""The JSON API under /api/v1, described by /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, jsonify

from app.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
