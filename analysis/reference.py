"""Reference lists: provinces → 大区, GB/T 4754-2017 industry sections and their aliases.

Data, not logic; params can extend the industry aliases (``cleaning.industry_aliases``).
"""

from __future__ import annotations

__all__ = ["REGION_OF_PROVINCE", "INDUSTRY_SECTIONS", "INDUSTRY_ALIASES", "PROVINCE_SUFFIXES"]

# All 34 provincial-level divisions, by the customary seven 大区.
REGION_OF_PROVINCE = {
    **dict.fromkeys(["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "台湾"], "华东"),
    **dict.fromkeys(["北京", "天津", "河北", "山西", "内蒙古"], "华北"),
    **dict.fromkeys(["广东", "广西", "海南", "香港", "澳门"], "华南"),
    **dict.fromkeys(["河南", "湖北", "湖南"], "华中"),
    **dict.fromkeys(["重庆", "四川", "贵州", "云南", "西藏"], "西南"),
    **dict.fromkeys(["陕西", "甘肃", "青海", "宁夏", "新疆"], "西北"),
    **dict.fromkeys(["辽宁", "吉林", "黑龙江"], "东北"),
}

# Longest first, so 广西壮族自治区 loses its whole suffix, not just 区.
PROVINCE_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市",
)

# GB/T 4754-2017 门类 (sections): code -> official name.
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

# Common spellings -> section code. Matched after normalising (no spaces, lower case).
INDUSTRY_ALIASES = {
    "A": ["农业", "林业", "牧业", "渔业", "农林牧渔", "农牧", "养殖", "种植", "agriculture"],
    "B": ["采矿", "矿业", "煤炭", "石油开采", "mining"],
    "C": ["制造", "制造业", "工业制造", "工业", "机械", "机械制造", "加工", "电子制造", "汽车制造",
          "化工", "纺织", "食品加工", "manufacturing"],
    "D": ["电力", "能源", "燃气", "水务", "供电", "energy", "utilities"],
    "E": ["建筑", "建筑业", "建筑工程", "工程", "施工", "装修", "装饰", "construction"],
    "F": ["批发", "零售", "批发零售", "零售业", "批发业", "商贸", "贸易", "电商", "商超", "retail",
          "wholesale", "trade", "ecommerce"],
    "G": ["物流", "交通", "运输", "交通物流", "仓储", "快递", "邮政", "logistics", "transport"],
    "H": ["餐饮", "住宿", "酒店", "住宿餐饮", "餐饮业", "hospitality", "restaurant", "hotel"],
    "I": ["it", "信息技术", "互联网", "软件", "软件和信息技术服务业", "信息服务", "计算机", "通信",
          "电信", "科技", "软件开发", "internet", "software", "technology", "tech"],
    "J": ["金融", "金融业", "银行", "保险", "证券", "投资", "finance", "banking", "insurance"],
    "K": ["房地产", "地产", "物业", "realestate", "property"],
    "L": ["商务服务", "租赁", "咨询", "广告", "人力资源", "法律服务", "consulting", "businessservices"],
    "M": ["科研", "研发", "技术服务", "检测", "设计", "research"],
    "N": ["环保", "环境", "公共设施", "水利", "environment"],
    "O": ["居民服务", "维修", "修理", "家政", "美容美发", "services"],
    "P": ["教育", "培训", "学校", "教育培训", "education", "training"],
    "Q": ["医疗", "医疗卫生", "卫生", "医院", "医药", "健康", "社会工作", "healthcare", "medical", "health"],
    "R": ["文化", "体育", "娱乐", "传媒", "文娱", "媒体", "media", "entertainment", "sports"],
    "S": ["政府", "公共管理", "社会组织", "事业单位", "机关", "government", "publicsector"],
    "T": ["国际组织", "internationalorganization"],
}
