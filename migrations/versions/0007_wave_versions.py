"""each wave names its questionnaire version; language packs and their review marks; a campaign's police forces
and organiser, for the questionnaire's {forces} and {organiser}

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

import imppulse_survey.core.models

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questionnaire_version_id", sa.Integer(), nullable=True))
    op.execute("UPDATE waves SET questionnaire_version_id = "
               "(SELECT questionnaire_version_id FROM campaigns WHERE campaigns.id = waves.campaign_id)")
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.alter_column("questionnaire_version_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_waves_questionnaire_version_id_questionnaire_versions"),
                                    "questionnaire_versions", ["questionnaire_version_id"], ["id"])
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forces", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("organiser", sa.JSON(), server_default="{}", nullable=False))
    op.create_table(
        "language_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("reviewed_against", sa.String(length=500), nullable=True),
        sa.Column("added_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["questionnaire_version_id"], ["questionnaire_versions.id"],
                                name=op.f("fk_language_packs_questionnaire_version_id_questionnaire_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_language_packs")),
        sa.UniqueConstraint("questionnaire_version_id", "language",
                            name=op.f("uq_language_packs_questionnaire_version_id_language")),
    )


def downgrade():
    op.drop_table("language_packs")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("organiser")
        batch_op.drop_column("forces")
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_waves_questionnaire_version_id_questionnaire_versions"),
                                 type_="foreignkey")
        batch_op.drop_column("questionnaire_version_id")
