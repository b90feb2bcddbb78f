"""Chinese personal names with their pinyin (for e-mail addresses), and phone numbers, drawn from a seeded RNG."""

from __future__ import annotations

import random

# (character, pinyin): the common surnames and given-name characters, enough for a few hundred people.
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"),
    ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"),
    ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"),
    ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"), ("陆", "lu"), ("范", "fan"), ("金", "jin"), ("石", "shi"),
]
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"),
    ("文", "wen"), ("华", "hua"), ("建", "jian"), ("国", "guo"), ("志", "zhi"), ("海", "hai"), ("宇", "yu"),
    ("欣", "xin"), ("然", "ran"), ("浩", "hao"), ("晨", "chen"), ("雪", "xue"), ("婷", "ting"), ("博", "bo"),
    ("亮", "liang"), ("思", "si"), ("琳", "lin"), ("凯", "kai"), ("鹏", "peng"), ("慧", "hui"), ("颖", "ying"),
    ("佳", "jia"), ("晓", "xiao"), ("红", "hong"), ("斌", "bin"), ("鑫", "xin"), ("宁", "ning"), ("雅", "ya"),
]

MAIL_DOMAIN = "huaxia-energy.example"


class NamePool:
    """Hands out distinct names; a clash of full name gets another draw (people are told apart by name)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_names: set[str] = set()
        self.used_mail: set[str] = set()

    def draw(self) -> tuple[str, str]:
        """A new (name, mailbox) pair, e.g. ('王晓明', 'wang.xiaoming')."""
        while True:
            surname, surname_py = self.rng.choice(SURNAMES)
            parts = [self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2)))]
            name = surname + "".join(c for c, _ in parts)
            if name in self.used_names:
                continue
            mailbox = f"{surname_py}.{''.join(p for _, p in parts)}"
            suffix = 2
            while mailbox in self.used_mail:
                mailbox = f"{surname_py}.{''.join(p for _, p in parts)}{suffix}"
                suffix += 1
            self.used_names.add(name)
            self.used_mail.add(mailbox)
            return name, mailbox


def office_phone(rng: random.Random, area_code: str) -> str:
    return f"{area_code}-{rng.randint(6000, 8999)}{rng.randint(0, 9999):04d}"


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice(('38', '39', '58', '59', '86', '87', '35', '37'))}{rng.randint(0, 99_999_999):08d}"
