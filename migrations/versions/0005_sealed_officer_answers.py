"""officers' answers sealed until release, invitations deleted when used, encrypted drafts, retention periods

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:00:00

What happens to data already stored (docs/anonymity.md, "Upgrading"):
- used invitations are deleted, so that nothing is left to pair with the responses they allowed; unused ones
  stay, but their tokens were hashed without a key and no longer match: issue new invitations (an open
  officer wave also needs its key pair, from ``flask imppulse campaign open``);
- drafts are deleted: they cannot be encrypted without the resume keys, which only respondents hold;
- officer waves that are closed and hold responses count as released.
"""
import sqlalchemy as sa
from alembic import op

import imppulse_survey.core.models

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), server_default="60", nullable=False))
        batch_op.add_column(sa.Column("text_retention_months", sa.Integer(), server_default="12", nullable=False))
        batch_op.add_column(sa.Column("invitations_issued", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_campaigns_retention_in_order"),
            "text_retention_months >= 1 AND text_retention_months <= retention_months")
    op.execute("UPDATE campaigns SET invitations_issued = "
               "(SELECT count(*) FROM invitations WHERE invitations.campaign_id = campaigns.id)")

    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("released_dt", imppulse_survey.core.models.UTCDateTime(timezone=True),
                                      nullable=True))
    op.execute(
        "UPDATE waves SET released_dt = closes_dt WHERE closes_dt IS NOT NULL"
        " AND campaign_id IN (SELECT id FROM campaigns WHERE access_mode = 'invitation')"
        " AND EXISTS (SELECT 1 FROM responses WHERE responses.wave_id = waves.id)")

    op.execute("DELETE FROM invitations WHERE is_used")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("is_used")

    op.execute("DELETE FROM drafts")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("answers")
        batch_op.drop_column("page_key")
        batch_op.drop_column("language")
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=False))

    op.create_table(
        "sealed_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_sealed_responses_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_responses")),
    )
    op.create_index(op.f("ix_sealed_responses_wave_id"), "sealed_responses", ["wave_id"], unique=False)
    op.create_table(
        "spent_ballots",
        sa.Column("ballot_hash", sa.String(length=64), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("submission_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_spent_ballots_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ballot_hash", name=op.f("pk_spent_ballots")),
    )
    op.create_index(op.f("ix_spent_ballots_wave_id"), "spent_ballots", ["wave_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_spent_ballots_wave_id"), table_name="spent_ballots")
    op.drop_table("spent_ballots")
    op.drop_index(op.f("ix_sealed_responses_wave_id"), table_name="sealed_responses")
    op.drop_table("sealed_responses")

    op.execute("DELETE FROM drafts")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("sealed")
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=False))
        batch_op.add_column(sa.Column("page_key", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=False))

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_used", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_column("released_dt")
        batch_op.drop_column("public_key")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_campaigns_retention_in_order"), type_="check")
        batch_op.drop_column("invitations_issued")
        batch_op.drop_column("text_retention_months")
        batch_op.drop_column("retention_months")
