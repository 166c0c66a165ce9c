"""every practitioner has her practice profile: made with the account from now on, and here for the
accounts made before (which got it on their first page view, an insert a read-only page may not make);
and policy_saved_at, when she first saved her profile and booking policy (the setup checklist on
/practice asks until then; a practice that already offers a consultation type counts as set up)

Revision ID: c17a00000001
Revises: c1400000001
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

import app.models.types

# revision identifiers, used by Alembic.
revision = 'c17a00000001'
down_revision = 'c1400000001'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                 sa.column('timezone', sa.String), sa.column('role', sa.String))
profiles = sa.table(
    'practitioner_profiles', sa.column('user_id', sa.Integer), sa.column('display_name', sa.String),
    sa.column('credentials', sa.String), sa.column('bio', sa.Text), sa.column('timezone', sa.String),
    sa.column('cancellation_notice_hours', sa.Integer), sa.column('reschedule_notice_hours', sa.Integer),
    sa.column('max_reschedules', sa.Integer), sa.column('late_cancel_refund_percent', sa.Integer),
    sa.column('daily_agenda_email', sa.Boolean))


def upgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_saved_at', app.models.types.UTCDateTime(), nullable=True))
    op.execute(sa.text(
        "UPDATE practitioner_profiles SET policy_saved_at = CURRENT_TIMESTAMP WHERE EXISTS "
        "(SELECT 1 FROM consultation_types WHERE consultation_types.practitioner_id = practitioner_profiles.id)"))
    # The same defaults as app.models.scheduling.PractitionerProfile gives a new profile.
    missing = sa.select(
        users.c.id, users.c.full_name, sa.literal(''), sa.literal(''), users.c.timezone, sa.literal(48),
        sa.literal(24), sa.literal(2), sa.literal(0), sa.false(),
    ).where(users.c.role == 'practitioner',
            ~sa.exists().where(profiles.c.user_id == users.c.id))
    op.execute(profiles.insert().from_select(
        ['user_id', 'display_name', 'credentials', 'bio', 'timezone', 'cancellation_notice_hours',
         'reschedule_notice_hours', 'max_reschedules', 'late_cancel_refund_percent', 'daily_agenda_email'],
        missing))


def downgrade():
    # The profiles made here stay: the code before this revision would have made them on first sight anyway.
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('policy_saved_at')
