"""the audit log of staff changes and downloads; releases' microdata, built once; free texts in microdata only
where an admin allows them; each wave's target number of responses

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00

"""
import sqlalchemy as sa
from alembic import op

import imppulse_survey.core.models

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_audit_events_city_id_cities")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_events_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at_dt"), "audit_events", ["at_dt"], unique=False)
    op.create_index(op.f("ix_audit_events_city_id"), "audit_events", ["city_id"], unique=False)
    op.create_table(
        "microdata_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("built_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("with_free_text", sa.Boolean(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_microdata_sets_release_id_releases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_microdata_sets")),
        sa.UniqueConstraint("release_id", name=op.f("uq_microdata_sets_release_id")),
    )
    op.create_table(
        "microdata_rows",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["microdata_sets.id"], name=op.f("fk_microdata_rows_set_id_microdata_sets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("set_id", "position", name=op.f("pk_microdata_rows")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("microdata_free_text", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_responses", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_column("target_responses")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("microdata_free_text")
    op.drop_table("microdata_rows")
    op.drop_table("microdata_sets")
    op.drop_index(op.f("ix_audit_events_city_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at_dt"), table_name="audit_events")
    op.drop_table("audit_events")
