"""indicator summaries, maintained at submission, filled here from the answers already stored; answers indexed by (response, item) only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:50:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "indicator_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("age_band", sa.Integer(), nullable=False),
        sa.Column("gender", sa.Integer(), nullable=False),
        sa.Column("police_contact", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_w", sa.Double(), nullable=False),
        sa.Column("sum_wy", sa.Double(), nullable=False),
        sa.Column("sum_wy2", sa.Double(), nullable=False),
        sa.Column("sum_w2", sa.Double(), nullable=False),
        sa.Column("sum_y", sa.Double(), nullable=False),
        sa.Column("sum_y2", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_indicator_summaries_campaign_id_campaigns"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"],
                                name=op.f("fk_indicator_summaries_wave_id_waves"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_summaries")),
    )
    op.create_index("ux_indicator_summaries_cell", "indicator_summaries",
                    ["campaign_id", "indicator", "wave_id", "district_id", "age_band", "gender", "police_contact"],
                    unique=True)
    # (response_id) alone made each breakdown and condition scan all of a response's answers
    op.create_index("ix_answers_response_item", "answers", ["response_id", "item_key"])
    op.drop_index("ix_answers_response_id", table_name="answers")
    # no plan was faster with it, and every submission paid a page write per answer to keep it
    op.drop_index("ix_answers_item_value", table_name="answers")
    backfill()


def backfill():
    """Summaries for the responses stored before this revision, computed by the app's own rebuild."""
    from imppulse_survey.questionnaires.definition import Definition
    from imppulse_survey.responses.summaries import rebuild_summaries

    connection = op.get_bind()
    campaigns = connection.execute(sa.text(
        "SELECT campaigns.id, questionnaire_versions.definition FROM campaigns "
        "JOIN questionnaire_versions ON questionnaire_versions.id = campaigns.questionnaire_version_id "
        "WHERE EXISTS (SELECT 1 FROM responses WHERE responses.campaign_id = campaigns.id)")).all()
    for campaign_id, definition in campaigns:
        if isinstance(definition, str):  # SQLite hands JSON back as text
            definition = json.loads(definition)
        rebuild_summaries(campaign_id, Definition(definition), connection=connection)


def downgrade():
    op.create_index("ix_answers_item_value", "answers", ["item_key", "value"])
    op.create_index("ix_answers_response_id", "answers", ["response_id"])
    op.drop_index("ix_answers_response_item", table_name="answers")
    op.drop_index("ux_indicator_summaries_cell", table_name="indicator_summaries")
    op.drop_table("indicator_summaries")
