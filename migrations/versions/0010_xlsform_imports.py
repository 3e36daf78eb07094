"""street interviews collected offline: the street_intercept recruitment mode, the odk channel of the responses
imported, and the keyed hashes of the interviews imported into each wave

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BEFORE = "recruitment_mode IN ('open_link', 'invitations', 'random_sample')"
AFTER = "recruitment_mode IN ('open_link', 'invitations', 'random_sample', 'street_intercept')"
CHANNELS_BEFORE = "channel IN ('web', 'api', 'demo')"
CHANNELS_AFTER = "channel IN ('web', 'api', 'demo', 'odk')"


def upgrade():
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_waves_recruitment_mode"), type_="check")
        batch_op.create_check_constraint(op.f("ck_waves_recruitment_mode"), AFTER)
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_responses_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_responses_channel"), CHANNELS_AFTER)
    op.create_table(
        "imported_instances",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("instance_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"], name=op.f("fk_imported_instances_wave_id_waves"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("wave_id", "instance_hash", name=op.f("pk_imported_instances")),
    )


def downgrade():
    op.drop_table("imported_instances")
    op.execute("UPDATE responses SET channel = 'api' WHERE channel = 'odk'")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_responses_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_responses_channel"), CHANNELS_BEFORE)
    # the mode did not exist before: such waves were street interviews entered as open-link answers
    op.execute("UPDATE waves SET recruitment_mode = 'open_link' WHERE recruitment_mode = 'street_intercept'")
    with op.batch_alter_table("waves", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_waves_recruitment_mode"), type_="check")
        batch_op.create_check_constraint(op.f("ck_waves_recruitment_mode"), BEFORE)
