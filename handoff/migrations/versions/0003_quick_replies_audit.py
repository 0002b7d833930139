"""Quick replies (话术库) with a default set, and the audit of order actions.

Revision ID: c0003
Revises: c0002
Create Date: 2026-12-03

The defaults are written out here rather than imported from the application, so
this revision inserts the same rows whatever the code looks like later.
Supervisors edit them from the console afterwards.
"""

from datetime import datetime, timezone
from typing import Dict

import sqlalchemy as sa
from alembic import op

revision = "c0003"
down_revision = "c0002"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)

# (category, shortcut, title, body); position is the order within the category.
DEFAULT_REPLIES = (
    ("greeting", "/hi", "欢迎语",
     "亲，您好，我是客服{agent_name}，很高兴为您服务~ 请问有什么可以帮您？"),
    ("greeting", "/jj", "接手问候",
     "{shopper_name}您好，我是客服{agent_name}，您的问题已经转到我这边啦，接下来由我为您处理，请稍等哦~"),
    ("product", "/cm", "尺码建议",
     "亲，尺码可以参考商品详情页的尺码表哦~ 您方便告诉我一下身高和体重吗？我帮您推荐更合适的尺码。"),
    ("product", "/kc", "库存咨询",
     "亲，您看中的这款目前库存比较紧张，喜欢的话建议尽早下单哦~ 如果暂时缺货，可以先点一下「到货提醒」，补货后会第一时间通知您。"),
    ("logistics", "/wl", "物流查询",
     "亲，您的订单{order_no}已经在路上啦，物流进度可以在「我的订单」里随时查看。如果长时间没有更新，您随时告诉我，我帮您联系快递催一催~"),
    ("logistics", "/fh", "发货时间",
     "亲，您的订单{order_no}我们会尽快为您安排发货，发出后物流单号会同步到订单里，请您耐心等待一下哦~"),
    ("after_sales", "/tk", "退款进度",
     "亲，您的退款申请我们已经收到了，审核通过后款项会原路退回，具体到账时间以支付渠道为准，请您留意一下哦~"),
    ("after_sales", "/th", "退货须知",
     "亲，寄回商品时请保持商品和包装完好，并在包裹里放一张写有订单号{order_no}的纸条，这样仓库收到后能更快为您处理哦~"),
    ("promotion", "/hd", "店铺活动",
     "亲，店铺现在正在做满减活动，下单时会自动计算优惠~ 您也可以先在商品页领取优惠券再下单，会更划算哦！"),
    ("promotion", "/vip", "会员福利",
     "亲，成为店铺会员可以享受专属折扣和生日礼券哦~ 在店铺首页点击「加入会员」就可以啦。"),
    ("soothing", "/bq", "致歉安抚",
     "亲，非常抱歉给您带来了不好的体验，您的心情我特别理解。我这边马上为您核实处理，请您放心~"),
    ("soothing", "/dd", "请稍等",
     "亲，麻烦您稍等一下，我正在为您查询，马上回复您~"),
    ("soothing", "/xx", "感谢耐心",
     "亲，感谢您的耐心等待，给您添麻烦了~ 后续有任何问题随时找我，祝您生活愉快！"),
)


def upgrade() -> None:
    replies = op.create_table(
        "console_quick_replies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("shortcut", sa.String(17), nullable=False, unique=True),
        sa.Column("title", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("category IN ('greeting', 'product', 'logistics', 'after_sales', 'promotion', "
                           "'soothing')", name="ck_console_quick_replies_category"),
    )
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("order_no", sa.String(64)),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'refused', 'failed')", name="ck_console_audit_outcome"),
    )
    op.create_index("ix_console_audit_ticket_id", "console_audit", ["ticket_id"])

    now = datetime.now(timezone.utc)
    positions: Dict[str, int] = {}
    rows = []
    for category, shortcut, title, body in DEFAULT_REPLIES:
        positions[category] = positions.get(category, 0) + 1
        rows.append({"category": category, "shortcut": shortcut, "title": title, "body": body,
                     "position": positions[category], "updated_by": None, "updated_at": now})
    op.bulk_insert(replies, rows)


def downgrade() -> None:
    op.drop_index("ix_console_audit_ticket_id", "console_audit")
    op.drop_table("console_audit")
    op.drop_table("console_quick_replies")
