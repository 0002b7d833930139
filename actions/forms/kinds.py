"""What the shopper is shown for the forms' coded choices; the handoff ticket names them too."""

REFUND_KINDS = {"refund_only": "仅退款", "return_refund": "退货退款"}
INVOICE_KINDS = {"electronic_normal": "电子普通发票", "paper_normal": "纸质普通发票",
                 "special_vat": "增值税专用发票"}
