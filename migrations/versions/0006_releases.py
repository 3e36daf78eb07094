"""releases and weight sets: the figures of each wave, fixed when released, and the weights they used; each
wave's recruitment mode

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:30:00

"""
import sqlalchemy as sa
from alembic import op

import imppulse_survey.core.models

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recruitment_mode", sa.String(length=16), server_default="open_link",
                                      nullable=False))
        batch_op.create_check_constraint(op.f("ck_waves_recruitment_mode"),
                                         "recruitment_mode IN ('open_link', 'invitations', 'random_sample')")
    op.execute("UPDATE waves SET recruitment_mode = 'invitations' WHERE campaign_id IN "
               "(SELECT id FROM campaigns WHERE access_mode = 'invitation')")
    op.create_table(
        "weight_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("made_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("margins", sa.JSON(), nullable=False),
        sa.Column("trim_low", sa.Double(), nullable=False),
        sa.Column("trim_high", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("design_effect", sa.Double(), nullable=False),
        sa.Column("largest_margin_gap", sa.Double(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_weight_sets_number_positive")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_weight_sets_campaign_id_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_weight_sets_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weight_sets")),
        sa.UniqueConstraint("wave_id", "number", name=op.f("uq_weight_sets_wave_id_number")),
    )
    op.create_index(op.f("ix_weight_sets_campaign_id"), "weight_sets", ["campaign_id"], unique=False)
    for name, column in (("poolings", sa.Column("wave_ids", sa.JSON(), nullable=False)),
                         ("district_groups", sa.Column("district_codes", sa.JSON(), nullable=False))):
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("campaign_id", sa.Integer(), nullable=False),
            sa.Column("label", sa.String(length=64), nullable=False),
            column,
            sa.Column("declared_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f(f"fk_{name}_campaign_id_campaigns"),
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sa.UniqueConstraint("campaign_id", "label", name=op.f(f"uq_{name}_campaign_id_label")),
        )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("made_dt", imppulse_survey.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("weight_set_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("number >= 1", name=op.f("ck_releases_number_positive")),
        sa.ForeignKeyConstraint(["weight_set_id"], ["weight_sets.id"], name=op.f("fk_releases_weight_set_id_weight_sets")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_releases_campaign_id_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_releases_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("wave_id", "number", name=op.f("uq_releases_wave_id_number")),
    )
    op.create_index(op.f("ix_releases_campaign_id"), "releases", ["campaign_id"], unique=False)
    op.create_table(
        "release_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=120), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_w", sa.Double(), nullable=False),
        sa.Column("sum_wy", sa.Double(), nullable=False),
        sa.Column("sum_wy2", sa.Double(), nullable=False),
        sa.Column("sum_w2", sa.Double(), nullable=False),
        sa.Column("sum_y", sa.Double(), nullable=False),
        sa.Column("sum_y2", sa.Double(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("variation", sa.String(length=24), nullable=True),
        sa.Column("weighting", sa.String(length=16), nullable=False),
        sa.Column("weight_set_id", sa.Integer(), nullable=True),
        sa.Column("pooling_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('published', 'suppressed')", name=op.f("ck_release_cells_state")),
        sa.ForeignKeyConstraint(["pooling_id"], ["poolings.id"], name=op.f("fk_release_cells_pooling_id_poolings"),
                                ondelete="CASCADE"),
        sa.CheckConstraint("weighting IN ('both', 'weighted_only')", name=op.f("ck_release_cells_weighting")),
        sa.ForeignKeyConstraint(["weight_set_id"], ["weight_sets.id"],
                                name=op.f("fk_release_cells_weight_set_id_weight_sets")),
        sa.CheckConstraint("variation IS NULL OR variation IN ('nearly_all', 'nearly_none', 'not_enough_variation')",
                           name=op.f("ck_release_cells_variation")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_release_cells_release_id_releases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_cells")),
    )
    op.create_index("ix_release_cells_release_table", "release_cells", ["release_id", "table_name", "indicator"],
                    unique=False)


def downgrade():
    op.drop_index("ix_release_cells_release_table", table_name="release_cells")
    op.drop_table("release_cells")
    op.drop_index(op.f("ix_releases_campaign_id"), table_name="releases")
    op.drop_table("releases")
    op.drop_table("district_groups")
    op.drop_table("poolings")
    op.drop_index(op.f("ix_weight_sets_campaign_id"), table_name="weight_sets")
    op.drop_table("weight_sets")
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_waves_recruitment_mode"), type_="check")
        batch_op.drop_column("recruitment_mode")
