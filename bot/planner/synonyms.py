"""What people call columns, in English and Chinese, grouped by the concept they mean.

A column belongs to a concept when its name holds one of the concept's words (`sales`,
`user_id`, `购买日期`); a question mentions the column when it uses any word of that concept
(`revenue`, `消费`, `客户`). The kinds a role accepts live in `columns.py`.
"""

from __future__ import annotations

import re

CONCEPTS: dict[str, tuple[str, ...]] = {
    "amount": (
        "amount", "amt", "sales", "sale", "revenue", "revenues", "spend", "spending",
        "spent", "turnover", "gmv", "income", "payment", "paid", "money", "total spend",
        "销售额", "销售金额", "销售", "营业额", "营收", "收入", "金额", "消费", "消费额",
        "消费金额", "交易额", "交易金额", "成交额", "订单金额", "支付金额", "实付金额", "流水",
    ),
    "date": (
        "date", "time", "datetime", "timestamp", "purchase date", "order date",
        "transaction date", "created", "created at",
        "日期", "时间", "购买日期", "购买时间", "下单日期", "下单时间", "交易日期",
        "交易时间", "订单日期", "注册日期", "注册时间",
    ),
    "user": (
        "user", "user id", "customer", "customer id", "client", "member", "buyer",
        "shopper", "consumer", "account",
        "用户", "用户id", "客户", "客户id", "会员", "会员id", "顾客", "买家", "消费者",
    ),
    "order": (
        "order", "order id", "transaction", "purchase",
        "订单", "订单号", "订单id", "订单数", "订单量", "单号", "交易", "交易笔数",
    ),
    "region": (
        "region", "area", "province", "territory", "zone", "district",
        "地区", "区域", "省", "省份", "大区", "片区",
    ),
    "city": ("city", "town", "城市"),
    "store": ("store", "shop", "branch", "outlet", "门店", "店铺", "商店", "分店", "店"),
    "category": ("category", "type", "品类", "类别", "类目", "分类", "类型", "种类"),
    "product": ("product", "item", "sku", "goods", "商品", "产品", "货品"),
    "quantity": ("quantity", "qty", "units", "volume", "数量", "件数", "销量", "购买数量"),
    "price": ("price", "unit price", "单价", "价格", "售价"),
    "age": ("age", "年龄"),
    "gender": ("gender", "sex", "性别"),
    "name": ("name", "姓名", "名字", "名称"),
    "email": ("email", "e-mail", "mail", "邮箱"),
    "phone": ("phone", "mobile", "telephone", "电话", "手机", "手机号"),
    "channel": ("channel", "渠道"),
}  # fmt: skip

_CJK = re.compile(r"[\u3400-\u9fff]")


def name_tokens(name: str) -> list[str]:
    """`customerId`, `customer_id` and `Customer ID` all give ["customer", "id"]."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [t for t in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if t]


def singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def concepts_of(name: str) -> tuple[str, ...]:
    """The concepts a column name belongs to, in table order (a name may have two)."""
    low = name.lower()
    tokens = [singular(t) for t in name_tokens(name)]
    joined = " ".join(tokens)
    found: list[str] = []
    for concept, words in CONCEPTS.items():
        for word in words:
            if _CJK.search(word):
                hit = word in low
            else:
                # Whole tokens only: `store` is a store but `restore_flag` is not.
                wtokens = " ".join(singular(t) for t in word.split())
                hit = f" {wtokens} " in f" {joined} "
            if hit:
                found.append(concept)
                break
    return tuple(found)
