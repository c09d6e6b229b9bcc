"""The staff pages' words in Chinese and English, added to the pages' one catalogue
(:func:`node.web.i18n.add_messages`) when the staff pages are imported."""

from __future__ import annotations

from node.web import i18n

__all__ = ["MESSAGES"]

#: key → (Chinese, English).
MESSAGES: dict[str, tuple[str, str]] = {
    "error.401": ("请先登录", "Sign in first"),
    "error.403": ("无权访问或表单已失效", "Not allowed, or the form is out of date"),
    "error.409": ("当前状态不允许此操作", "The present state refuses it"),
    "error.422": ("请求无法执行", "The request cannot be carried out"),
    "error.429": ("尝试次数过多，请稍后再试", "Too many attempts; try again later"),
    "staff.refused.desk": (
        "审核台仅供交易所节点的审核员使用；监管机构节点没有审核台。",
        "The review desk is for reviewers on an exchange's node; a regulator's node has none.",
    ),
    "staff.refused.audit": (
        "审计追踪仅供审计员和监管人员查看。",
        "The audit trail is for auditors and regulator officers.",
    ),
    "staff.refused.suspend": (
        "暂停与恢复由监管人员在监管机构节点上发送。",
        "Suspensions are sent by regulator officers, from a regulator's node.",
    ),
    "staff.csrf": (
        "表单的安全令牌缺失或已过期，请刷新页面后重试。",
        "The form's security token is missing or out of date; reload the page and try again.",
    ),
    "staff.nav.sign_in": ("工作人员登录", "Staff sign-in"),
    "staff.nav.desk": ("审核台", "Review desk"),
    "staff.nav.audit": ("审计追踪", "Audit trail"),
    "staff.nav.suspend": ("暂停", "Suspend"),
    "staff.nav.licence_requests": ("许可申请", "Licence requests"),
    "staff.nav.participants": ("登记参与方", "Register a participant"),
    "staff.refused.participants": (
        "登记参与方仅供交易所节点的管理员和审核员使用。",
        "Participants are registered by admins and reviewers on an exchange's node.",
    ),
    "staff.participants.title": ("登记参与方", "Register a participant"),
    "staff.participants.intro": (
        "在本交易所完成身份核验（《数据安全法》第三十三条）后，将数商或被许可方登记上链，"
        "全网认可。",
        "After this exchange checked the identity (DSL art. 33), register the provider or "
        "licensee on chain, recognised network-wide.",
    ),
    "staff.participants.account": ("账户地址", "Account address"),
    "staff.participants.roles": ("角色", "Roles"),
    "staff.participants.role.provider": ("数商（提供方）", "Provider"),
    "staff.participants.role.licensee": ("被许可方", "Licensee"),
    "staff.participants.identity_reference": ("身份核验凭据", "Identity check reference"),
    "staff.participants.identity_hint": (
        "如统一社会信用代码与核验单号，最多 256 字符。原文只留在本节点，上链的是加盐哈希。",
        "E.g. the unified social credit code and the check's file number, at most 256 "
        "characters. The text stays on this node; a salted hash goes on chain.",
    ),
    "staff.participants.identity_sent": (
        "上链的是 keccak256(凭据 ‖ 32 字节随机盐)，原文与盐只留在本节点。",
        "Sent: keccak256(reference ‖ a random 32-byte salt); the text and the salt stay on "
        "this node.",
    ),
    "staff.participants.confirm_warning": (
        "确认后，节点以本交易所运营账户发送登记交易，不可撤回。",
        "Once confirmed, the node sends the registration with this exchange's operator key; "
        "it cannot be taken back.",
    ),
    "staff.participants.confirm": ("确认登记", "Confirm the registration"),
    "staff.participants.registered": (
        "参与方已登记上链。",
        "The participant is registered on chain.",
    ),
    "staff.participants.identity_hash": ("上链的身份哈希", "Identity hash on chain"),
    "staff.participants.another": ("再登记一个", "Register another"),
    "staff.roles.title": ("添加角色", "Add a role"),
    "staff.roles.intro": (
        "为本交易所登记的参与方添加角色：要挂牌自有数据产品的被许可方成为数商，要获得他人数据许可的"
        "数商成为被许可方。无需重新核验身份，登记时的核验继续有效。",
        "Give a participant this exchange registered another role: a licensee that will list "
        "its own data products becomes a provider, a provider that will license others' data a "
        "licensee. No new identity check: the registration's stands.",
    ),
    "staff.roles.back": ("返回参与方", "Back to the participants"),
    "staff.roles.corrections": (
        "请更正下面标出的内容，尚未发送任何交易。",
        "Correct what is marked below; nothing was sent.",
    ),
    "staff.roles.registered_by": ("登记交易所", "Registered by"),
    "staff.roles.held": ("现有角色", "Roles held now"),
    "staff.roles.adding": ("要添加的角色", "Roles to add"),
    "staff.roles.added": ("本次添加的角色", "Roles added"),
    "staff.roles.after": ("现有全部角色", "Roles held now"),
    "staff.roles.confirm_warning": (
        "确认后，节点以本交易所运营账户发送添加角色的交易，不可撤回。",
        "Once confirmed, the node sends the new roles with this exchange's operator key; they "
        "cannot be taken back.",
    ),
    "staff.roles.confirm": ("确认添加角色", "Confirm the roles"),
    "staff.roles.done": (
        "已为参与方添加角色，已上链。",
        "The participant's new roles are on chain.",
    ),
    "staff.roles.another": ("再添加角色", "Add another role"),
    "staff.roles.for_account": ("为该账户添加角色", "Add a role to this account"),
    "staff.roles.error.account": (
        "须为账户地址（0x 加 40 位十六进制）。",
        "Must be an account address (0x and 40 hex digits).",
    ),
    "staff.roles.error.not_registered": (
        "本节点没有该地址的已登记参与方（或尚未索引到其登记）：请先登记。",
        "No participant is registered at this address (or not yet indexed here): register it "
        "first.",
    ),
    "staff.roles.error.roles": ("请至少勾选一个角色。", "Tick at least one role."),
    "staff.roles.refused.already_held": (
        "该参与方已持有所选的全部角色，没有发送交易。",
        "The participant already holds every role chosen; nothing was sent.",
    ),
    "staff.roles.refused.not_registering_exchange": (
        "该参与方由其他交易所登记，只有完成其身份核验的交易所才能为其添加角色"
        "（《数据安全法》第三十三条）；没有发送交易。",
        "Another exchange registered this participant: only the exchange that checked its "
        "identity may give it another role (DSL art. 33); nothing was sent.",
    ),
    "staff.roles.refused.suspended": (
        "该数商正被暂停，暂停期间不能添加角色；没有发送交易。",
        "The provider is suspended and gains no role while it is; nothing was sent.",
    ),
    "staff.licences.title": ("许可申请", "Licence requests"),
    "staff.licences.intro": (
        "被许可方签名的许可申请；线下结算完成后授予许可上链。",
        "Licensees' signed requests; grant the licence on chain once the settlement is "
        "received off chain.",
    ),
    "staff.licences.empty": ("没有该状态的许可申请。", "No licence request in this status."),
    "staff.licences.licensee": ("被许可方", "Licensee"),
    "staff.licences.licence_id": ("许可编号", "Licence id"),
    "staff.licences.settlement": ("结算凭证哈希", "Settlement reference hash"),
    "staff.licences.settled": ("已收到结算款项", "Settlement received"),
    "staff.licences.grant": ("授予许可", "Grant the licence"),
    "staff.licences.granted": ("许可已授予上链。", "The licence is granted on chain."),
    "staff.licences.back": ("返回许可申请", "Back to the licence requests"),
    "staff.licences.request": ("许可申请", "Licence request"),
    "staff.licences.reject": ("驳回", "Reject"),
    "staff.licences.reject_title": ("驳回许可申请", "Reject a licence request"),
    "staff.licences.reject_intro": (
        "不授予许可：驳回只记录在本节点，不发送交易；驳回后该申请不能再授予。",
        "No licence: a rejection is recorded on this node only, no transaction is sent; once "
        "rejected, the request can no longer be granted.",
    ),
    "staff.licences.reason_hint": (
        "必填，最多 {max} 字符。被许可方查看其申请时可以看到这一理由。",
        "Required, at most {max} characters. The licensee sees it with its request.",
    ),
    "staff.licences.review": ("核对后驳回", "Review before rejecting"),
    "staff.licences.confirm_title": ("确认将要记录的内容", "Confirm what will be recorded"),
    "staff.licences.reject_warning": (
        "确认后，该申请即被驳回，不能再授予，驳回不可撤回。",
        "Once confirmed, the request is rejected for good: it can no longer be granted.",
    ),
    "staff.licences.recorded_note": (
        "只记录在本节点的许可申请中，不上链；被许可方通过 GET /licence-requests 看到状态和理由。",
        "Recorded in this node's licence requests only, nothing on chain; the licensee sees the "
        "status and the reason through GET /licence-requests.",
    ),
    "staff.licences.new_status": ("新状态", "New status"),
    "staff.licences.confirm_reject": ("确认驳回", "Confirm the rejection"),
    "staff.licences.rejected": ("许可申请已驳回。", "The licence request is rejected."),
    "staff.licences.already_rejected": (
        "该申请此前已驳回，此次未再记录；以下是已记录的内容。",
        "It was rejected before: nothing new was recorded. This is what is on record.",
    ),
    "staff.licences.rejected_at": ("驳回时间", "Rejected at"),
    "staff.licences.not_pending": (
        "许可申请 #{id} 的状态是“{status}”，只能驳回待授予的申请。",
        "Licence request #{id} is “{status}”: only a pending request can be rejected.",
    ),
    "staff.licences.grant_refused_rejected": (
        "许可申请 #{id} 已驳回，不能授予。驳回理由：{reason}",
        "Licence request #{id} was rejected and cannot be granted. The reason: {reason}",
    ),
    "staff.licence_request.pending": ("待授予", "Pending"),
    "staff.licence_request.granted": ("已授予", "Granted"),
    "staff.licence_request.rejected": ("已驳回", "Rejected"),
    "staff.licence_request.all": ("全部", "All"),
    "staff.sign_out": ("退出登录", "Sign out"),
    "staff.signed_in_as": ("已登录：{username}", "Signed in as {username}"),
    "staff.sign_in.title": ("工作人员登录", "Staff sign-in"),
    "staff.sign_in.username": ("用户名", "Username"),
    "staff.sign_in.password": ("密码", "Password"),
    "staff.sign_in.submit": ("登录", "Sign in"),
    "staff.sign_in.hint": (
        "账户由节点管理员用 onelist node user add 创建；连续五次密码错误将锁定五分钟。",
        "Accounts are made by the node's administrator with onelist node user add; five wrong "
        "passwords in a row lock the account for five minutes.",
    ),
    "staff.sign_in.wrong": ("用户名或密码错误。", "Wrong username or password."),
    "staff.sign_in.signed_out": ("已退出登录。", "You are signed out."),
    "staff.sign_in.already": ("当前已以 {user} 身份登录。", "You are signed in as {user}."),
    "staff.desk.title": ("挂牌审核台", "Review desk"),
    "staff.desk.status": ("状态", "Status"),
    "staff.desk.show": ("查看", "Show"),
    "staff.desk.empty": ("没有该状态的申请。", "No submission in this status."),
    "staff.desk.version": ("版本", "Version"),
    "staff.desk.product_ref": ("产品编号", "Product ref"),
    "staff.desk.provider": ("数商", "Provider"),
    "staff.desk.submitted": ("提交于", "Submitted"),
    "staff.desk.no_findings": ("规则检查无提示。", "The rules found nothing to note."),
    "staff.desk.findings": ("规则检查结果", "Rule findings"),
    "staff.desk.reason": ("理由", "Reason"),
    "staff.desk.back": ("返回审核队列", "Back to the queue"),
    "staff.desk.outcome": ("处理结果", "Outcome"),
    "staff.desk.listing": ("挂牌产品", "Listing"),
    "staff.desk.tx": ("交易哈希", "Transaction"),
    "staff.desk.block": ("区块", "Block"),
    "staff.desk.not_mined": ("尚未上链", "not mined yet"),
    "staff.desk.requested_by": ("操作人", "Requested by"),
    "staff.desk.no_tx": ("尚未发送交易", "No transaction sent yet"),
    "staff.desk.decide": ("审核决定", "Decision"),
    "staff.desk.approve_hint": (
        "批准后，节点以本交易所运营账户发送挂牌交易并等待上链。",
        "Approving sends the listing transaction with this exchange's operator key and waits "
        "for it to be mined.",
    ),
    "staff.desk.approve": ("批准挂牌", "Approve and list"),
    "staff.desk.reject": ("驳回", "Reject"),
    "staff.desk.refused": ("操作未完成：", "Not done:"),
    "staff.desk.listed_now": ("已挂牌上链。", "Listed on chain."),
    "staff.desk.rejected_now": ("已驳回。", "Rejected."),
    "staff.desk.manifest": ("挂牌清单", "Manifest"),
    "staff.submission.pending_review": ("待审核", "Pending review"),
    "staff.submission.approved": ("已批准", "Approved"),
    "staff.submission.rejected": ("已驳回", "Rejected"),
    "staff.submission.listed": ("已挂牌", "Listed"),
    "staff.submission.all": ("全部", "All"),
    "staff.diff.against": (
        "与上一版本（第 {version} 版，申请 #{id}）对照：",
        "Compared with the previous version ({version}, submission #{id}):",
    ),
    "staff.diff.no_previous_here": (
        "上一版本不是经本节点审核挂牌的，无法对照。",
        "The previous version was not listed through this node: nothing to compare with.",
    ),
    "staff.diff.first_version": ("首个版本，无上一版本。", "A first version: nothing before it."),
    "staff.diff.field": ("字段", "Field"),
    "staff.diff.previous": ("上一版本（第 {version} 版）", "Previous (version {version})"),
    "staff.diff.this": ("本版本（第 {version} 版）", "This version ({version})"),
    "staff.diff.same": ("相同", "same"),
    "staff.diff.changed": ("修改", "changed"),
    "staff.diff.added": ("新增", "added"),
    "staff.diff.removed": ("删除", "removed"),
    "staff.audit.title": ("审计追踪", "Audit trail"),
    "staff.audit.filters": ("筛选条件", "Filters"),
    "staff.audit.back": ("返回审计追踪", "Back to the audit trail"),
    "staff.audit.block_title": ("区块 {block} 的事件", "Events of block {block}"),
    "staff.audit.tx_title": ("交易中的事件", "Events of a transaction"),
    "staff.audit.block": ("区块", "Block"),
    "staff.audit.time": ("时间", "Time"),
    "staff.audit.tx": ("交易", "Transaction"),
    "staff.audit.event": ("事件类型", "Event"),
    "staff.audit.actor": ("执行账户", "Actor"),
    "staff.audit.acting": ("所代表机构", "Acting for"),
    "staff.audit.exchange": ("交易所代码", "Exchange"),
    "staff.audit.listing": ("挂牌产品编号", "Listing"),
    "staff.audit.seq": ("序号", "Seq"),
    "staff.audit.args": ("参数", "Arguments"),
    "staff.audit.time_from": ("起始时间", "From"),
    "staff.audit.time_to": ("截止时间", "To"),
    "staff.audit.time_zone": (
        "时间均为北京时间（UTC+8）。",
        "Times are China Standard Time (UTC+8).",
    ),
    "staff.audit.export_csv": ("导出 CSV", "Export CSV"),
    "staff.audit.export_jsonl": ("导出 JSON Lines", "Export JSON Lines"),
    "staff.audit.empty": ("没有符合条件的事件。", "No event matches."),
    "staff.scope.listing": ("挂牌产品", "Listing"),
    "staff.scope.provider": ("数商", "Provider"),
    "staff.scope.licence": ("许可", "Licence"),
    "staff.scope.exchange_granting": ("交易所授权资格", "Exchange's right to grant"),
    "staff.oversight.suspend": ("暂停", "Suspend"),
    "staff.oversight.reinstate": ("恢复", "Reinstate"),
    "staff.oversight.suspend.intro": (
        "以本监管机构的密钥发送暂停交易。提交前会先显示将要发送的全部内容。",
        "Sends a suspension signed with this regulator's key. You will see exactly what is "
        "sent before it goes.",
    ),
    "staff.oversight.reinstate.intro": (
        "以本监管机构的密钥发送恢复交易。提交前会先显示将要发送的全部内容。",
        "Sends a reinstatement signed with this regulator's key. You will see exactly what is "
        "sent before it goes.",
    ),
    "staff.oversight.scope": ("对象类型", "Scope"),
    "staff.oversight.subject": ("对象", "Subject"),
    "staff.oversight.subject_hint": (
        "挂牌产品或许可编号（0x 加 64 位十六进制）、数商地址，或交易所代码（如 SH）。",
        "A listing or licence id (0x and 64 hex digits), a provider's address, or an "
        "exchange's code (e.g. SH).",
    ),
    "staff.oversight.reason_code": ("原因", "Reason"),
    "staff.reason.code": ("原因", "Reason"),
    "staff.reason.other": ("其他代码（在下方填写）", "Another code (type it below)"),
    "staff.reason.other_code": ("其他原因代码", "Other reason code"),
    "staff.reason.other_hint": (
        "仅在上面选择“其他代码”时填写，0–65535；链上合约接受任何代码。",
        "Only with “Another code” above: 0 to 65535; the contracts take any code.",
    ),
    "staff.oversight.legal_basis": ("法律依据", "Legal basis"),
    "staff.oversight.legal_basis_hint": (
        "全文只留在本节点；上链的是其 keccak256 哈希。",
        "The text stays on this node; its keccak256 hash goes on chain.",
    ),
    "staff.oversight.until": ("暂停至（北京时间）", "Until (China Standard Time)"),
    "staff.oversight.until_hint": (
        "留空表示直至恢复。",
        "Leave empty to suspend until reinstated.",
    ),
    "staff.oversight.until_reinstated": ("直至恢复", "until reinstated"),
    "staff.oversight.review": ("核对后提交", "Review before sending"),
    "staff.oversight.confirm_title": ("确认将要发送的内容", "Confirm what will be sent"),
    "staff.oversight.confirm_warning": (
        "确认后，交易将以本监管机构的密钥签名并上链，不可撤回。",
        "Once confirmed, the transaction is signed with this regulator's key and sent to the "
        "chain; it cannot be taken back.",
    ),
    "staff.oversight.hash_sent": ("上链哈希", "Hash sent"),
    "staff.oversight.request_id": ("请求编号", "Request id"),
    "staff.oversight.confirm_suspend": ("确认暂停", "Confirm the suspension"),
    "staff.oversight.confirm_reinstate": ("确认恢复", "Confirm the reinstatement"),
    "staff.oversight.edit": ("返回修改", "Edit"),
    "staff.oversight.outcome": ("处理结果", "Outcome"),
    "staff.oversight.refused": ("未完成：", "Not done:"),
    "staff.oversight.sent_suspend": ("暂停已上链。", "The suspension is on chain."),
    "staff.oversight.sent_reinstate": ("恢复已上链。", "The reinstatement is on chain."),
    "staff.oversight.replayed": (
        "同一请求此前已发送，此处显示的是第一次的交易。",
        "This request was sent before; this is its first transaction.",
    ),
    "staff.granted.title": ("已授予的许可", "Granted licences"),
    "staff.granted.intro": (
        "本节点索引的全部许可及其交易对手方（被许可方、授予交易所）；公开页面从不显示交易对手方。",
        "Every licence this node indexed, with its counterparties (licensee, granting "
        "exchange); the public pages never show counterparties.",
    ),
    "staff.granted.back": ("返回许可列表", "Back to the licences"),
    "staff.granted.licence": ("许可编号", "Licence"),
    "staff.granted.licensee": ("被许可方", "Licensee"),
    "staff.granted.granting_exchange": ("授予交易所", "Granting exchange"),
    "staff.granted.term": ("期限", "Term"),
    "staff.granted.price": ("价格", "Price"),
    "staff.granted.state": ("状态", "State"),
    "staff.granted.state.active": ("有效", "Active"),
    "staff.granted.state.suspended": ("已暂停", "Suspended"),
    "staff.granted.state.revoked": ("已撤销", "Revoked"),
    "staff.granted.state.terminated": ("已终止", "Terminated"),
    "staff.granted.expiring_before": ("到期早于", "Ending before"),
    "staff.granted.empty": ("没有符合条件的许可。", "No licence matches."),
    "staff.granted.revoke": ("撤销", "Revoke"),
    "staff.granted.revoke_title": ("撤销许可", "Revoke a licence"),
    "staff.granted.revoke_intro": (
        "以监管机构的密钥撤销该许可（LicenceRegistry.revokeByRegulator），撤销不可恢复。",
        "Revoke this licence with the regulator's key (LicenceRegistry.revokeByRegulator); a "
        "revocation cannot be undone.",
    ),
    "staff.granted.confirm_warning": (
        "撤销一经上链即不可恢复，请核对以下内容。",
        "A revocation on chain cannot be undone; check what follows.",
    ),
    "staff.granted.terms_sent": (
        "许可条款按本节点索引的授予事件原样提交，合约据此核对许可编号。",
        "The licence's terms are sent as its indexed grant holds them; the contract checks "
        "them against the licence id.",
    ),
    "staff.granted.confirm_revoke": ("确认撤销", "Confirm the revocation"),
    "staff.granted.sent": ("撤销已上链。", "The revocation is on chain."),
    "staff.exclusive.option": (
        "公共数据独占许可（公开竞价结果）",
        "Exclusive licence of public data (auction outcome)",
    ),
    "staff.exclusive.hint": (
        "仅限公共数据，须经公开竞价并有批准文件，期限最长 {days} 天（五年）。"
        "独占期内该产品不能再授予其他许可；两项哈希随授予上链并公开。",
        "Public data only, after an open auction and with an approval document, for at most "
        "{days} days (five years). While it stands no other licence of the product can be "
        "granted; both hashes go on chain with the grant and are public.",
    ),
    "staff.exclusive.approval_ref": ("批准文件哈希", "Approval document hash"),
    "staff.exclusive.auction_ref": ("公开竞价记录哈希", "Open-auction record hash"),
    "staff.exclusive.ref_hint": (
        "0x 加 64 位十六进制（32 字节哈希），不能为全零。",
        "0x and 64 hex digits (a 32-byte hash), not zero.",
    ),
    "staff.exclusive.form_title": ("授予许可", "Grant a licence"),
    "staff.exclusive.form_intro": (
        "收到结算款项后授予该许可；公共数据的独占许可另填公开竞价的两项哈希。",
        "Grant the licence once the settlement is received; an exclusive licence of public "
        "data also names the open auction's two hashes.",
    ),
    "staff.exclusive.corrections": (
        "请更正下面标出的内容，尚未发送任何交易。",
        "Correct what is marked below; nothing was sent.",
    ),
    "staff.exclusive.granted": (
        "独占许可已授予上链。",
        "The exclusive licence is granted on chain.",
    ),
    "staff.exclusive.kind": ("许可类型", "Kind"),
    "staff.exclusive.exclusive": ("公共数据独占许可", "Exclusive licence of public data"),
    "staff.exclusive.until": ("独占期至", "Exclusive until"),
    "staff.exclusive.error.missing": (
        "独占许可须填写此哈希（0x 加 64 位十六进制）。",
        "An exclusive grant needs this hash (0x and 64 hex digits).",
    ),
    "staff.exclusive.error.format": (
        "须为 0x 加 64 位十六进制（32 字节哈希）。",
        "Must be 0x and 64 hex digits (a 32-byte hash).",
    ),
    "staff.exclusive.error.zero": ("不能为全零哈希。", "Must not be the zero hash."),
    "staff.exclusive.error.not_exclusive": (
        "只有独占许可才填写此哈希：请勾选独占许可，或清空此项。",
        "Only an exclusive grant names it: tick the exclusive option, or clear this field.",
    ),
    "staff.exclusive.error.not_public": (
        "独占许可仅限公共数据，该产品不是公共数据。",
        "Exclusive licences are for public data only; this product is not public data.",
    ),
    "staff.exclusive.error.term": (
        "独占许可自起始日（或现在，取较早者）起最长 {days} 天（五年），该申请的期限更长。",
        "An exclusive licence runs at most {days} days (five years) from its start, or from "
        "now if that is earlier; this request's term is longer.",
    ),
    "staff.exclusive.error.flag": ("须为是或否。", "Must be yes or no."),
}

i18n.add_messages(MESSAGES)
