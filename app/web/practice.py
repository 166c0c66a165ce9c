"""The practitioner's area (/practice)."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.web.access import practitioner_required

bp = Blueprint("practice", __name__, url_prefix="/practice")


@bp.get("")
@practitioner_required
def agenda():
    return render_template("practice/agenda.html")
