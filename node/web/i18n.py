"""The pages' words in Chinese (the default) and English: one message catalogue, no I/O.

A page asks for ``t("key")``; the language is the ``lang`` parameter when a visitor picks one
(``?lang=en``, remembered in a cookie) and Chinese otherwise, since the node serves Chinese
exchanges first. Enumerations from :mod:`onelist.codes` are keyed ``<enum>.<name>`` so that a
template translates the API's names without knowing the codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from onelist.codes import REASON_LABELS

__all__ = [
    "COOKIE",
    "DEFAULT",
    "LANGUAGES",
    "MESSAGES",
    "Translate",
    "add_messages",
    "choose_language",
    "label",
    "reason",
    "translate",
    "translator",
]

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
#: The cookie that remembers a visitor's choice (a year; not a session, nothing personal).
COOKIE = "onelist_lang"

Translate = Callable[[str], str]

#: key → (Chinese, English). Kept as pairs so that a message can never exist in one language only.
_PAIRS: dict[str, tuple[str, str]] = {
    # the frame of every page
    "site.name": ("一地挂牌 · 全网互认", "List once, recognised everywhere"),
    "site.node": ("节点", "node"),
    "site.skip": ("跳到正文", "Skip to content"),
    "nav.label": ("主导航", "Main navigation"),
    "nav.catalogue": ("目录", "Catalogue"),
    "nav.disclosure": ("披露", "Disclosure"),
    "nav.language": ("语言", "Language"),
    "footer.text": (
        "原始数据与个人信息不上链、不出节点；本页只显示公开目录与披露汇总。",
        "Raw data and personal information never leave the node: these pages show only the "
        "public catalogue and disclosure aggregates.",
    ),
    "footer.api": ("接口说明", "API document"),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.400": ("请求参数有误", "The request is not valid"),
    "error.404": ("找不到该页面", "Page not found"),
    "error.404.listing": ("没有这个挂牌产品", "No such listing"),
    "error.503": ("索引暂时不可用，请稍后再试", "The index is unavailable; try again shortly"),
    "error.500": ("服务器内部错误", "An internal error occurred"),
    "error.field": ("参数", "Parameter"),
    "error.back": ("返回目录", "Back to the catalogue"),
    # catalogue
    "catalogue.title": ("数据产品目录", "Data product catalogue"),
    "catalogue.search": ("搜索", "Search"),
    "catalogue.q": ("关键词", "Keywords"),
    "catalogue.q.placeholder": ("如：交通 出行", "e.g. 交通 出行"),
    "catalogue.filters": ("筛选", "Filters"),
    "catalogue.any": ("不限", "Any"),
    "catalogue.apply": ("筛选", "Apply"),
    "catalogue.reset": ("清除", "Clear"),
    "catalogue.exchange": ("挂牌交易所", "Home exchange"),
    "catalogue.province": ("省份代码", "Province code"),
    "catalogue.category": ("类别", "Category"),
    "catalogue.grade": ("分级", "Grade"),
    "catalogue.product_form": ("产品形态", "Product form"),
    "catalogue.delivery_mode": ("交付方式", "Delivery mode"),
    "catalogue.price_min": ("最低价格（元）", "Lowest price (yuan)"),
    "catalogue.price_max": ("最高价格（元）", "Highest price (yuan)"),
    "catalogue.status": ("状态", "Status"),
    "catalogue.sort": ("排序", "Sort"),
    "catalogue.results": ("搜索结果", "Results"),
    "catalogue.empty": ("没有符合条件的产品。", "No product matches."),
    "catalogue.empty.hint": (
        "试试更少的关键词，或清除筛选条件。",
        "Try fewer words, or clear the filters.",
    ),
    "catalogue.first": ("首页", "First page"),
    "catalogue.prev": ("上一页", "Previous"),
    "catalogue.next": ("下一页", "Next"),
    "catalogue.pages": ("分页", "Pages"),
    "catalogue.licences": ("许可", "Licences"),
    "catalogue.listed_at": ("挂牌时间", "Listed"),
    "sort.default": ("默认（有关键词时按相关度）", "Default (relevance with keywords)"),
    "sort.relevance": ("相关度", "Relevance"),
    "sort.newest": ("最新", "Newest"),
    "sort.price_asc": ("价格从低到高", "Price, low to high"),
    "sort.price_desc": ("价格从高到低", "Price, high to low"),
    "relevance.title": ("标题匹配", "in the title"),
    "relevance.keywords": ("关键词匹配", "in the keywords"),
    "relevance.description": ("描述匹配", "in the description"),
    # a listing
    "listing.catalogue": ("目录信息", "Catalogue"),
    "listing.description": ("描述", "Description"),
    "listing.keywords": ("关键词", "Keywords"),
    "listing.price": ("价格", "Price"),
    "listing.no_price": ("面议", "On request"),
    "listing.version": ("版本", "Version"),
    "listing.home": ("挂牌交易所", "Home exchange"),
    "listing.province": ("省份代码", "Province code"),
    "listing.update_frequency": ("更新频率", "Update frequency"),
    "listing.coverage": ("覆盖范围", "Coverage"),
    "listing.fields": ("字段概要", "Field summary"),
    "listing.price_model": ("计价方式", "Price model"),
    "listing.manifest_hash": ("清单哈希", "Manifest hash"),
    "listing.fingerprint": ("数据指纹", "Dataset fingerprint"),
    "listing.classification": ("分类分级", "Classification"),
    "listing.open_class": ("公共数据开放类别", "Public data open class"),
    "listing.authorisation": ("授权运营编号", "Authorisation id"),
    "listing.risk_assessment": ("风险评估哈希", "Risk assessment hash"),
    "listing.personal": ("个人信息", "Personal information"),
    "listing.pi_status": ("个人信息状态", "Status"),
    "listing.sensitive": ("敏感个人信息", "Sensitive PI"),
    "listing.under_14": ("不满十四周岁", "Under 14"),
    "listing.consent": ("同意或匿名化证明哈希", "Consent or anonymisation evidence hash"),
    "listing.usage": ("使用范围", "Usage envelope"),
    "listing.purposes": ("允许用途", "Allowed purposes"),
    "listing.max_term": ("最长期限", "Longest term"),
    "listing.days": ("天", "days"),
    "listing.territory": ("地域", "Territory"),
    "listing.onward": ("再转让", "Onward transfer"),
    "listing.training": ("允许模型训练", "Model training"),
    "listing.granting": ("可授权交易所", "Exchanges that may grant"),
    "listing.granting.all": ("全部成员交易所", "every member exchange"),
    "listing.floor": ("最低价", "Price floor"),
    "listing.trading": ("交易情况", "Trading"),
    "listing.revenue": ("许可收入", "Licence revenue"),
    "listing.versions": ("版本历史", "Version history"),
    "listing.events": ("公开事件", "Public events"),
    "listing.events.shown": ("显示最近 {shown} 条，共 {total} 条", "latest {shown} of {total}"),
    "listing.event": ("事件", "Event"),
    "listing.when": ("时间", "When"),
    "listing.block": ("区块", "Block"),
    "listing.tx": ("交易哈希", "Transaction"),
    "listing.by": ("执行方", "By"),
    "listing.details": ("详情", "Details"),
    "listing.suspended_until": ("暂停至", "Suspended until"),
    "listing.exclusive_until": ("独占许可期至", "Under an exclusive licence until"),
    "listing.exclusive_approval": ("批准文件", "approval"),
    "listing.suspended_indefinitely": ("暂停，直至恢复", "Suspended until reinstated"),
    "listing.catalogue_error": ("链上目录无法解析", "The on-chain catalogue could not be read"),
    "listing.regulator": ("监管机构", "regulator"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "none": ("无", "none"),
    # disclosure
    "disclosure.title": ("交易披露", "Trading disclosure"),
    "disclosure.intro": (
        "按产品、交易所与月份汇总的许可数量与收入，以及数据来源。不显示任何交易对手。",
        "Licences and revenue per product, exchange and month, and data sources. No "
        "counterparty is ever shown.",
    ),
    "disclosure.from": ("起始月份", "From month"),
    "disclosure.to": ("截止月份", "To month"),
    "disclosure.show": ("查看", "Show"),
    "disclosure.totals": ("合计", "Totals"),
    "disclosure.licences": ("许可数", "Licences"),
    "disclosure.revenue": ("收入", "Revenue"),
    "disclosure.share": ("交易所分成", "Exchange's share"),
    "disclosure.listings": ("新挂牌产品", "New listings"),
    "disclosure.by_listing": ("按产品", "Per product"),
    "disclosure.by_exchange": ("按交易所", "Per exchange"),
    "disclosure.by_home": ("按挂牌交易所", "Per home exchange"),
    "disclosure.by_granting": ("按授权交易所", "Per granting exchange"),
    "disclosure.by_month": ("按月份（上海时间）", "Per month (Shanghai time)"),
    "disclosure.by_grade": ("按分级", "Per grade"),
    "disclosure.by_source": ("按数据来源", "Per data source"),
    "disclosure.product": ("产品", "Product"),
    "disclosure.source": ("数据来源", "Data source"),
    "disclosure.exchange": ("交易所", "Exchange"),
    "disclosure.month": ("月份", "Month"),
    "disclosure.empty": ("该期间没有许可。", "No licence in this period."),
    "disclosure.exclusive": ("独占许可（公共数据）", "Exclusive licences of public data"),
    "disclosure.exclusive_term": ("期限 · 状态", "Term · status"),
    "disclosure.exclusive_refs": ("批准文件 · 公开竞价记录", "Approval · open auction"),
    "disclosure.chart.revenue": ("收入（元）", "Revenue (yuan)"),
    "disclosure.chart.licences": ("许可数", "Licences"),
    "listing.regions": ("覆盖地区", "Regions"),
    "listing.until_now": ("至今", "to date"),
    "listing.field.name": ("字段", "Field"),
    "listing.field.type": ("类型", "Type"),
    "listing.field.description": ("说明", "Description"),
    "listing.no_events": ("暂无公开事件。", "No public event yet."),
    "detail.version": ("版本", "version"),
    "detail.reason_code": ("原因", "reason"),
    "detail.purposes": ("用途", "purposes"),
    "detail.territory": ("地域", "territory"),
    "detail.delivery_mode": ("交付方式", "delivery"),
    "detail.start": ("起", "from"),
    "detail.end": ("止", "to"),
    "detail.price_fen": ("价格", "price"),
    "detail.approval_ref": ("批准文件", "approval reference"),
    "detail.auction_ref": ("公开竞价记录", "auction record"),
    "detail.by_regulator": ("由监管机构", "by a regulator"),
    "detail.regulator_province": ("监管省份", "regulator's province"),
    "detail.until": ("暂停至", "until"),
    "detail.until_reinstated": ("恢复为止", "reinstated"),
    "detail.national": ("全国", "national"),
    "freq.realtime": ("实时", "real time"),
    "freq.hourly": ("每小时", "hourly"),
    "freq.daily": ("每日", "daily"),
    "freq.weekly": ("每周", "weekly"),
    "freq.monthly": ("每月", "monthly"),
    "freq.quarterly": ("每季度", "quarterly"),
    "freq.yearly": ("每年", "yearly"),
    "freq.irregular": ("不定期", "irregular"),
    "freq.static": ("不更新", "static"),
    "price_model.one_off": ("一次性", "one-off"),
    "price_model.per_call": ("按次调用", "per call"),
    "price_model.per_record": ("按条", "per record"),
    "price_model.monthly": ("按月订阅", "monthly"),
    "price_model.yearly": ("按年订阅", "yearly"),
    "price_model.negotiable": ("面议", "negotiable"),
    # enumerations (onelist.codes and the API's names)
    "grade.general": ("一般数据", "General"),
    "grade.important": ("重要数据", "Important"),
    "grade.core": ("核心数据", "Core"),
    "status.listed": ("挂牌中", "Listed"),
    "status.consent_withdrawn": ("同意已撤回", "Consent withdrawn"),
    "status.delisted": ("已摘牌", "Delisted"),
    "status.suspended": ("已暂停", "Suspended"),
    "licence_status.active": ("有效", "active"),
    "licence_status.revoked": ("已撤销", "revoked"),
    "licence_status.terminated": ("已终止", "terminated"),
    "delivery.file": ("文件", "File"),
    "delivery.api": ("接口", "API"),
    "delivery.sandbox": ("沙箱", "Sandbox"),
    "delivery.privacy_computing": ("隐私计算", "Privacy computing"),
    "form.dataset": ("数据集", "Dataset"),
    "form.api": ("数据接口", "API"),
    "form.report": ("数据报告", "Report"),
    "form.model": ("模型", "Model"),
    "form.sandbox": ("沙箱", "Sandbox"),
    "open_class.not_public": ("非公共数据", "Not public data"),
    "open_class.unconditional": ("无条件开放", "Open unconditionally"),
    "open_class.conditional": ("有条件开放", "Open on conditions"),
    "open_class.not_open": ("不予开放", "Not open"),
    "pi.none": ("不含个人信息", "No personal information"),
    "pi.anonymised": ("已匿名化", "Anonymised"),
    "pi.deidentified": ("已去标识化", "De-identified"),
    "pi.identifiable": ("可识别个人信息", "Identifiable"),
    "purpose.research": ("科学研究", "Research"),
    "purpose.commercial_analytics": ("商业分析", "Commercial analytics"),
    "purpose.risk_control": ("风险控制", "Risk control"),
    "purpose.marketing": ("市场营销", "Marketing"),
    "purpose.public_governance": ("公共治理", "Public governance"),
    "purpose.urban_planning": ("城市规划", "Urban planning"),
    "purpose.product_development": ("产品研发", "Product development"),
    "purpose.insurance_actuarial": ("保险精算", "Insurance actuarial"),
    "purpose.navigation_services": ("导航服务", "Navigation services"),
    "purpose.teaching": ("教学", "Teaching"),
    "territory.mainland": ("仅限境内", "Mainland only"),
    "territory.cross_border": ("可出境", "Cross-border"),
    "onward.none": ("不得转让", "None"),
    "onward.derived_only": ("仅限衍生产品", "Derived products only"),
    "onward.sublicence": ("可再许可", "Sublicence"),
    "source.public_data_authorised": ("公共数据授权运营", "Public data, authorised operation"),
    "source.public_data": ("公共数据", "Public data"),
    "source.not_public": ("非公共数据", "Not public data"),
    "event.Listed": ("挂牌", "Listed"),
    "event.VersionPublished": ("发布新版本", "New version"),
    "event.Delisted": ("摘牌", "Delisted"),
    "event.ConsentWithdrawn": ("撤回同意", "Consent withdrawn"),
    "event.LicenceGranted": ("授予许可", "Licence granted"),
    "event.ExclusiveLicenceGranted": ("授予独占许可", "Exclusive licence granted"),
    "event.LicenceRevoked": ("撤销许可", "Licence revoked"),
    "event.LicenceTerminated": ("终止许可", "Licence terminated"),
    "event.Suspended": ("暂停", "Suspended"),
    "event.Reinstated": ("恢复", "Reinstated"),
    # a reason code outside onelist.codes.ReasonCode (the contracts take any uint16)
    "reason.unlisted": ("未列明的原因", "Unlisted reason"),
    # reason codes: "reason.<number>", from the one vocabulary in onelist.codes
    **{f"reason.{int(code)}": pair for code, pair in REASON_LABELS.items()},
}

#: language → key → message.
MESSAGES: dict[str, dict[str, str]] = {
    lang: {key: pair[i] for key, pair in _PAIRS.items()} for i, lang in enumerate(LANGUAGES)
}


def add_messages(pairs: Mapping[str, tuple[str, str]]) -> None:
    """Add another area's messages (key → (Chinese, English)), as the staff pages do when
    imported; a key that is already there is refused, so two areas never fight over one."""
    taken = sorted(set(pairs) & set(_PAIRS))
    if taken:
        raise ValueError(f"messages already defined: {', '.join(taken)}")
    _PAIRS.update(pairs)
    for i, lang in enumerate(LANGUAGES):
        MESSAGES[lang].update({key: pair[i] for key, pair in pairs.items()})


def translate(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` fields filled from ``values``; an
    unknown key shows as itself, so a missing message is visible on the page, never a 500."""
    message = MESSAGES.get(lang, MESSAGES[DEFAULT]).get(key, key)
    return message.format(**values) if values else message


def label(lang: str, group: str, value: object) -> str:
    """An enumeration's value in ``lang`` (``label("zh", "grade", "general")`` → 一般数据); a
    value without a message (an unknown code, free text from the chain) shows as itself."""
    text = str(value)
    return MESSAGES.get(lang, MESSAGES[DEFAULT]).get(f"{group}.{text}", text)


def reason(lang: str, code: object) -> str:
    """A reason code as "label (code)" in ``lang`` (``reason("zh", 2)`` → 个人信息权益投诉 (2));
    a number outside the vocabulary as "unlisted reason (code)", anything else as itself."""
    if isinstance(code, bool) or not isinstance(code, int):
        return str(code)
    key = f"reason.{code}"
    name = translate(lang, key if key in MESSAGES[DEFAULT] else "reason.unlisted")
    return f"{name} ({code})"


def translator(lang: str) -> Translate:
    """``translate`` bound to one language: the ``t`` a template calls."""

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return t


def choose_language(asked: str | None, remembered: str | None) -> str:
    """The page's language: the one asked for in the URL, else the one remembered in the
    cookie, else Chinese; anything else is ignored (never an error: it is only a preference)."""
    for lang in (asked, remembered):
        if lang in LANGUAGES:
            return lang
    return DEFAULT
