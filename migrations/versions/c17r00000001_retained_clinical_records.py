"""retained clinical records: the record a patient's account deletion keeps for the practitioner's
retention period (retained_patients, and retained_patient_id on the kept tables), her retention setting

Revision ID: c17r00000001
Revises: c17g00000002
Create Date: 2026-12-07 22:10:00

The health-data tables that are part of the clinical record (intake_responses, symptom_check_ins,
lab_uploads, medication_plans) lose ON DELETE CASCADE from users and may have no account, as long as they
have a retained record (a CHECK). On SQLite those four tables are rebuilt (batch mode); medication_plans
is the parent of medication_logs (ON DELETE CASCADE), and dropping the old table during the rebuild would
delete every log with it, so the logs are set aside in a temporary table and put back. appointments and
payments, parents of many tables, only gain a plain indexed column (ALTER TABLE ADD COLUMN, never a rebuild,
so no foreign key on SQLite: the model has none either).
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c17r00000001'
down_revision = 'c17g00000002'
branch_labels = None
depends_on = None

HEALTH = ('intake_responses', 'symptom_check_ins', 'lab_uploads', 'medication_plans')
BOOKS = ('appointments', 'payments')
OWNER = "patient_id IS NOT NULL OR retained_patient_id IS NOT NULL"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _set_logs_aside():
    if _sqlite():
        op.execute("CREATE TEMP TABLE keep_medication_logs AS SELECT * FROM medication_logs")


def _put_logs_back():
    if _sqlite():
        op.execute("DELETE FROM medication_logs")  # what the rebuild left, if anything
        op.execute("INSERT INTO medication_logs SELECT * FROM keep_medication_logs")
        op.execute("DROP TABLE keep_medication_logs")


def upgrade():
    op.create_table(
        'retained_patients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('former_user_id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=True),
        sa.Column('full_name', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=True),
        sa.Column('erased_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('last_visit_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('retention_years', sa.Integer(), nullable=False),
        sa.Column('basis', sa.String(length=10), nullable=False),
        sa.Column('keep_until', app.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner_profiles.id'],
                                name=op.f('fk_retained_patients_practitioner_id_practitioner_profiles'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retained_patients')),
    )
    with op.batch_alter_table('retained_patients', schema=None) as batch_op:
        batch_op.create_index('ix_retained_patients_keep_until', ['keep_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_retained_patients_former_user_id'), ['former_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retained_patients_practitioner_id'), ['practitioner_id'], unique=False)

    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=False, server_default='8'))

    _set_logs_aside()
    for table in HEALTH:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('retained_patient_id', sa.Integer(), nullable=True))
            batch_op.alter_column('patient_id', existing_type=sa.Integer(), nullable=True)
            batch_op.drop_constraint(f'fk_{table}_patient_id_users', type_='foreignkey')
            batch_op.create_foreign_key(f'fk_{table}_patient_id_users', 'users', ['patient_id'], ['id'])
            batch_op.create_foreign_key(f'fk_{table}_retained_patient_id_retained_patients', 'retained_patients',
                                        ['retained_patient_id'], ['id'], ondelete='CASCADE')
            batch_op.create_check_constraint(f'ck_{table}_has_owner', sa.text(OWNER))
            batch_op.create_index(f'ix_{table}_retained_patient_id', ['retained_patient_id'], unique=False)
    _put_logs_back()

    for table in BOOKS:
        with op.batch_alter_table(table, schema=None) as batch_op:  # ADD COLUMN: no rebuild
            batch_op.add_column(sa.Column('retained_patient_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_retained_patient_id'), ['retained_patient_id'],
                                  unique=False)


def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM retained_patients")).scalar():
        raise RuntimeError("Retained clinical records exist: the schema before c17r00000001 cannot hold them "
                           "(they have no account). Purge or export them before downgrading.")
    for table in BOOKS:
        op.drop_index(op.f(f'ix_{table}_retained_patient_id'), table_name=table)
        if _sqlite():  # ALTER TABLE DROP COLUMN (SQLite 3.35+): batch mode would rebuild the table
            op.execute(f"ALTER TABLE {table} DROP COLUMN retained_patient_id")
        else:
            op.drop_column(table, 'retained_patient_id')
    _set_logs_aside()
    for table in HEALTH:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_retained_patient_id')
            batch_op.drop_constraint(f'ck_{table}_has_owner', type_='check')
            batch_op.drop_constraint(f'fk_{table}_retained_patient_id_retained_patients', type_='foreignkey')
            batch_op.drop_constraint(f'fk_{table}_patient_id_users', type_='foreignkey')
            batch_op.create_foreign_key(f'fk_{table}_patient_id_users', 'users', ['patient_id'], ['id'],
                                        ondelete='CASCADE')
            batch_op.alter_column('patient_id', existing_type=sa.Integer(), nullable=False)
            batch_op.drop_column('retained_patient_id')
    _put_logs_back()
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('retention_years')
    op.drop_table('retained_patients')
