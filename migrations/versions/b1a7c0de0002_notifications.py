"""notifications: reminders sent, calendar feed token, email preferences

Revision ID: b1a7c0de0002
Revises: b1a7c0de0001
Create Date: 2026-11-29 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'b1a7c0de0002'
down_revision = 'b1a7c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                            name=op.f('fk_sent_reminders_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
    sa.UniqueConstraint('appointment_id', 'kind', 'starts_at', name='uq_sent_reminders_once')
    )
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_feed_token_hash', sa.String(length=64), nullable=True))
        # The server default fills existing rows; the model sets the value from then on.
        batch_op.add_column(sa.Column('daily_agenda_email', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint(op.f('uq_practitioner_profiles_calendar_feed_token_hash'),
                                          ['calendar_feed_token_hash'])
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.alter_column('daily_agenda_email', server_default=None)


def downgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_practitioner_profiles_calendar_feed_token_hash'), type_='unique')
        batch_op.drop_column('daily_agenda_email')
        batch_op.drop_column('calendar_feed_token_hash')
    op.drop_table('sent_reminders')
