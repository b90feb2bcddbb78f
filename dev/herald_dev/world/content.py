"""Plausible Chinese post texts for the demo world, with their canonical form and hash.

Texts stay inside what every check allows: a permitted category of the account's policy (CON-1), a
named source (CON-2), Weibo text within 140 characters with a link to the demo's safe domain (CON-7: the
platform refuses a status without one), JPEG images between 1 and 5 MB
(CON-8), and no wording the screening lexicon blocks or routes (CON-3, CON-4); the tests screen
every generated text to keep it that way.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import date

CITIES = ["杭州", "武汉", "成都", "南京", "合肥", "西安", "长沙", "郑州", "济南", "昆明", "兰州", "银川"]
PARTNERS = ["华东电网", "西部新能源产业园", "长江智慧城市研究中心", "滨海港务集团", "高新区管委会", "省电力设计院"]
FIELDS = ["分布式光伏", "用户侧储能", "综合能源服务", "智慧运维", "充电基础设施", "节能改造"]
PRODUCTS = ["光伏智能监控平台", "储能能量管理系统", "园区综合能源管控平台", "智能巡检机器人", "能耗在线监测终端"]
SPORTS = ["篮球", "羽毛球", "乒乓球", "健步走", "拔河"]
CHARITY = ["敬老助残", "义务植树", "爱心助学", "节能科普进社区", "无偿献血"]
AUTHORITIES = ["国家能源局", "中国电力企业联合会", "省发展改革委", "市生态环境局"]
SOURCES = {
    "business_promotion": ["{unit}供稿", "集团宣传部"],
    "industry_cases": ["国家能源局网站", "中国电力新闻网", "{unit}供稿"],
    "rd_products": ["{unit}供稿", "华夏智慧能源研究院"],
    "corporate_image": ["集团宣传部", "{unit}供稿", "集团工会"],
    "management_experience": ["{unit}供稿", "集团企管部"],
    "leader_approved": ["集团办公室", "{unit}供稿"],
    "company_designated": ["集团行政中心", "新华网", "人民网"],
}

# (title, body) per category; {company} {city} {partner} {field} {product} {sport} {charity} {authority} {month} {n}
TEMPLATES = {
    "business_promotion": [
        ("{company}“{field}”客户服务月活动启动", "{month}月起，{company}在{city}等地开展“{field}”客户服务月活动，组织技术人员上门开展设备体检和用能咨询，帮助客户降低用能成本。"),
        ("{company}与{partner}签署合作协议", "近日，{company}与{partner}签署{field}合作协议，双方将在项目开发、运营维护和人才培养等方面开展合作。"),
        ("{company}{city}{n}兆瓦光伏项目并网发电", "{company}承建的{city}{n}兆瓦分布式光伏项目顺利并网，预计每年可提供清洁电力约{m}万千瓦时。"),
    ],
    "industry_cases": [
        ("{authority}发布{month}月能源运行情况", "{authority}发布{month}月能源运行情况，全社会用电量同比保持增长，新能源装机规模持续扩大。"),
        ("行业观察：{field}进入规模化发展阶段", "随着政策完善和成本下降，{field}正从示范走向规模化应用，{company}结合项目实践谈几点体会。"),
        ("项目案例：{city}工业园区{field}改造", "{city}某工业园区实施{field}改造后，年节约标准煤约{n}百吨，为同类园区提供了可复制的经验。"),
    ],
    "rd_products": [
        ("{product}新版本上线试运行", "{company}自主研发的{product}新版本上线试运行，新增故障预警和报表自动生成功能，已在{n}个场站应用。"),
        ("{product}通过专家评审", "{company}{product}项目通过专家评审，评审组认为该成果实用性强，具备推广价值。"),
    ],
    "corporate_image": [
        ("{company}举办职工{sport}比赛", "{company}举办{month}月职工{sport}比赛，来自各部门的{n}支队伍参赛，展现了员工团结协作的精神风貌。"),
        ("青年志愿者走进社区开展{charity}活动", "{company}青年志愿者走进{city}社区开展{charity}活动，用实际行动传递企业温度。"),
        ("{company}开展“{month}月读书分享会”", "{company}组织开展读书分享会，{n}名员工分享读书心得，营造崇尚学习的文化氛围。"),
    ],
    "management_experience": [
        ("{company}召开经营分析会", "{company}召开{month}月经营分析会，总结阶段工作，部署下一步安全生产、市场开拓和降本增效重点任务。"),
        ("安全生产月：{company}开展应急演练", "{company}组织开展防汛应急演练，检验了应急预案的可操作性，提升了现场处置能力。"),
        ("精益管理经验交流：{field}项目的成本管控", "{company}在{field}项目中推行精益管理，通过标准化设计和集中采购控制成本，相关做法在系统内交流。"),
    ],
    "leader_approved": [
        ("集团领导调研{company}{field}项目", "集团领导一行到{company}{city}{field}项目现场调研，听取项目进展汇报，要求抓好安全质量和工期管理。"),
        ("{company}召开{month}月工作例会", "{company}召开{month}月工作例会，通报重点工作进展，安排部署下阶段任务。"),
    ],
    "company_designated": [
        ("转发：{authority}关于做好迎峰度夏工作的通知解读", "{authority}就迎峰度夏电力保供作出部署，{company}认真学习，结合实际落实各项保障措施。"),
        ("{company}开展节能宣传周活动", "按照集团统一安排，{company}开展节能宣传周活动，倡导绿色低碳的工作和生活方式。"),
    ],
}
HOLIDAY_GREETINGS = {
    "Spring Festival": ("春节快乐｜{company}给您拜年了", "值此新春佳节，{company}全体员工向广大客户和合作伙伴致以节日的问候，祝大家新春愉快、万事顺意！"),
    "National Day": ("国庆节快乐", "喜迎国庆，{company}祝大家节日快乐！假期期间各运维站点照常值守，保障客户用电用能。"),
    "Labour Day": ("致敬劳动者", "五一国际劳动节，{company}向奋战在生产一线的员工致以节日的问候！"),
    "Mid-autumn Festival": ("中秋节快乐", "月圆人团圆，{company}祝大家中秋快乐、阖家幸福！"),
    "Dragon Boat Festival": ("端午安康", "粽叶飘香，{company}祝大家端午安康！"),
    "Tomb-sweeping Day": ("清明时节，安全出行", "清明假期出行人多，{company}提醒大家注意交通和用电用火安全。"),
    "New Year's Day": ("元旦快乐", "新年伊始，{company}祝大家元旦快乐、新年顺利！"),
}
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
WEIBO_LIMIT = 140  # Chinese characters; apart from the link, our Weibo texts carry almost no ASCII
# Every Weibo text links the item on the demo's safe domain (the demo Weibo apps register herald.example.com).
WEIBO_LINK = "https://herald.example.com/news/{key}"
WEIBO_LINK_CHARS = 11  # a URL counts 10 characters whatever its length, plus the space before it


@dataclass(frozen=True)
class Text:
    title: str | None
    body: str
    category: str
    source: str
    media: list[dict]


def _image(rng: random.Random, day: date, index: int) -> dict:
    size = rng.randint(1_100_000, 4_900_000)  # strictly between 1 MiB and 5 MiB (CON-8)
    digest = hashlib.sha256(f"{day.isoformat()}-{index}-{size}".encode()).hexdigest()
    return {"kind": "image", "filename": f"IMG_{day:%Y%m%d}_{index:03d}.jpg", "size_bytes": size, "sha256": digest,
            "head_bytes": base64.b64encode(JPEG_HEAD).decode("ascii"), "content_type": "image/jpeg"}


def _weibo_text(title: str, body: str, tag: str) -> str:
    # The link is named after the item's words, so the same item always links the same page.
    link = " " + WEIBO_LINK.format(key=hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:12])
    limit = WEIBO_LIMIT - WEIBO_LINK_CHARS
    text = f"【{title}】{body}#{tag}#"
    if len(text) <= limit:
        return text + link
    # Cut at the last full stop or comma that keeps the text, its tag and the ellipsis within the limit.
    room = limit - len(f"【{title}】") - len(f"#{tag}#") - 1
    cut = body[:room]
    for mark in ("。", "，"):
        if mark in cut:
            cut = cut[: cut.rindex(mark)]
            break
    return f"【{title}】{cut}…#{tag}#{link}"


def make_text(rng: random.Random, *, platform: str, categories: tuple[str, ...], company: str, unit: str, day: date,
              holiday: str | None = None, index: int = 0) -> Text:
    """One post's text for ``platform``; a holiday greeting when ``holiday`` names one."""
    values = {
        "company": company, "city": rng.choice(CITIES), "partner": rng.choice(PARTNERS), "field": rng.choice(FIELDS),
        "product": rng.choice(PRODUCTS), "sport": rng.choice(SPORTS), "charity": rng.choice(CHARITY),
        "authority": rng.choice(AUTHORITIES), "month": day.month, "n": rng.randint(3, 60), "m": rng.randint(80, 900),
    }
    if holiday in HOLIDAY_GREETINGS and "corporate_image" in categories:
        category = "corporate_image"
        title, body = HOLIDAY_GREETINGS[holiday]
    else:
        category = rng.choice(categories)
        title, body = rng.choice(TEMPLATES[category])
    title, body = title.format(**values), body.format(**values)
    source = rng.choice(SOURCES[category]).format(unit=unit)
    media: list[dict] = []
    if platform in ("wechat", "weibo", "website", "app") and rng.random() < 0.6:
        media = [_image(rng, day, index * 10 + k) for k in range(rng.randint(1, 3))]
    if platform == "weibo":
        return Text(None, _weibo_text(title, body, company), category, source, media)
    if platform in ("qq", "tieba", "forum") and rng.random() < 0.5:
        body = f"{body}欢迎大家交流讨论。"
    return Text(title, body, category, source, media)
