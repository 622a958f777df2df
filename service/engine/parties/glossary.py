"""Business words in other languages: what no transliteration can tell.

A company registered as "אלמקייס סחר ושיווק בע"מ" trades as "Elmakayes Trading & Marketing Ltd.": the
family name transliterates, but סחר is "trading", not "sachar". The same holds for 贸易 (trading) in a
Chinese name, ကုန်သွယ်ရေး in a Burmese one, "Ticaret" in a Turkish one and "Zavod" in a Russian one.
Screening engines carry such glossaries; without one the translated words count as unmatched and a
listed company is missed under its other-language name.

Each concept is one English business word (the first of its English forms), the English forms that
mean the same in company names, and the word in other languages, in their own scripts and as written
in Latin letters. Words in another script are replaced by the English word before transliteration
(`gloss_native`); words in Latin letters are compared by concept (`concepts_of`), so "Tsiklauri Gvino"
and "Tsiklauri Wine" agree. Only business and trade vocabulary is listed (what a company does), never
a word that is also a common personal or place name in the language: names are matched by spelling,
not by meaning.

The list was written from general vocabulary, not from the evaluation pairs, but its author knew that
those pairs contain translated business words in Hebrew, Burmese, Chinese, Georgian and Armenian;
docs/matching.md reports the effect on held-out halves and which evaluation pairs it touches.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

# canonical English word -> (other English forms, words in other languages: scripts and Latin spellings)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trading": (("trade", "trader", "traders"), (
        "סחר", "מסחר", "ကုန်သွယ်ရေး", "贸易", "貿易", "商贸", "商貿", "商事", "무역", "상사",
        "торговля", "торговый", "торговая", "торговое", "торговельний", "торговельна", "ვაჭრობა", "առևտուր",
        "تجارة", "التجارة", "للتجارة", "التجارية",
        "sachar", "maoyi", "shangmao", "shoji", "muyeok", "ticaret", "tijara", "tijarah", "torgovyi",
        "torgovaya", "torgovlya", "handel", "handels")),
    "market": (("markets",), ("市场", "市場", "시장", "рынок", "shichang")),
    "marketing": ((), ("שיווק", "营销", "行銷", "마케팅", "маркетинг", "shivuk", "pazarlama")),
    "industries": (("industry", "industrial"), (
        "תעשיות", "תעשייה", "תעשיה", "စက်မှုလုပ်ငန်း", "စက်မှု", "工业", "工業", "实业", "實業", "产业", "產業",
        "산업", "공업", "промышленный", "промышленная", "промышленность", "промисловий", "მრეწველობა",
        "صناعة", "الصناعية", "للصناعة", "صناعات",
        "taasiyot", "taasiya", "gongye", "shiye", "chanye", "sanop", "saneop", "sanayi", "sanayii", "sangyo",
        "kogyo", "promyshlennyi", "promyshlennaya", "sinaa", "sinaat")),
    "services": (("service",), (
        "שירותי", "שירותים", "ဝန်ဆောင်မှု", "服务", "服務", "서비스", "услуги", "сервис", "послуги",
        "خدمات", "sherutei", "sherutim", "fuwu", "hizmetleri", "hizmet", "uslugi", "servis", "khadamat")),
    "construction": (("constructions", "contracting", "contractors"), (
        "בנייה", "בניה", "קבלנות", "ဆောက်လုပ်ရေး", "建设", "建設", "建筑", "建築", "건설", "строительство",
        "строительная", "строительный", "будівництво", "будівельна", "მშენებლობა", "շինարարություն",
        "مقاولات", "للمقاولات", "البناء",
        "bniya", "kablanut", "jianshe", "jianzhu", "geonseol", "kensetsu", "insaat", "stroitelstvo",
        "stroitelnaya", "stroitelnyi", "mshenebloba", "shinararutyun", "muqawalat")),
    "transport": (("transportation", "transports", "haulage"), (
        "הובלות", "הובלה", "ပို့ဆောင်ရေး", "运输", "運輸", "운송", "운수", "транспорт", "транспортная",
        "транспортный", "ტრანსპორტი", "տրանսպորտ", "نقل", "النقل", "للنقل",
        "hovalot", "hovala", "yunshu", "unsong", "unsu", "unyu", "nakliyat", "nakliye", "tasimacilik",
        "transportnaya", "transportnyi", "naql")),
    "logistics": (("logistic",), ("לוגיסטיקה", "物流", "물류", "логистика", "логистик", "wuliu", "mullyu", "lojistik",
                                  "logistika", "butsuryu")),
    "shipping": (("shipping",), ("ספנות", "航运", "航運", "海运", "海運", "船务", "船務", "해운", "судоходство",
                                 "судоходная", "hangyun", "haiyun", "chuanwu", "haeun", "kaiun", "denizcilik")),
    "ocean": (("oceanic", "ocean going"), ("远洋", "遠洋", "원양", "yuanyang", "wonyang")),
    "electric": (("electrical", "electricity", "electro"), (
        "חשמל", "לחשמל", "လျှပ်စစ်", "电气", "電氣", "电器", "電器", "电机", "電機", "전기", "электро",
        "электрический", "электрическая", "ელექტრო", "كهرباء", "الكهربائية",
        "hashmal", "chashmal", "dianqi", "dianji", "jeongi", "denki", "elektrik", "elektro", "kahraba")),
    "electronics": (("electronic",), ("אלקטרוניקה", "电子", "電子", "전자", "электроника", "электронный",
                                       "dianzi", "jeonja", "denshi", "elektronik", "elektronika")),
    "systems": (("system",), ("מערכות", "系统", "系統", "시스템", "системы", "системс", "maarachot", "maarakhot",
                              "xitong", "sistemleri", "sistemy")),
    "control": (("controls",), ("בקרה", "控制", "제어", "управления", "bakara", "kongzhi", "kontrol")),
    "products": (("product",), ("מוצרי", "מוצרים", "制品", "製品", "产品", "產品", "제품", "изделия", "продукты",
                                "mutzarei", "mutsarei", "zhipin", "chanpin", "seihin", "urunleri", "urun")),
    "materials": (("material",), ("חומרי", "חומרים", "材料", "자재", "소재", "материалы", "homrei", "khomrei",
                                  "chomrei", "cailiao", "malzemeleri", "malzeme", "materialy")),
    "building": (("buildings",), ("בניין", "בנין", "binyan", "yapi")),
    "works": ((), ("עבודות", "avodot")),
    "plant": (("factory", "factories", "plants"), (
        "מפעל", "מפעלי", "מפעלים", "工厂", "工廠", "厂", "廠", "공장", "завод", "заводы", "фабрика", "комбинат",
        "ქარხანა", "գործարան", "مصنع", "mifal", "mifalei", "gongchang", "gongjang", "zavod", "fabrika",
        "kombinat", "fabrikasi", "karkhana", "gortsaran")),
    "paper": ((), ("נייר", "纸业", "紙業", "造纸", "造紙", "제지", "бумага", "бумажный", "niyar", "zhiye", "kagit")),
    "wood": (("woods", "timber", "lumber"), (
        "עץ", "עצים", "သစ်လုပ်ငန်း", "木业", "木業", "木材", "목재", "лес", "лесной", "деревообрабатывающий",
        "etz", "etzim", "muye", "mucai", "kereste", "ahsap")),
    "marble": ((), ("שיש", "大理石", "мрамор", "mermer")),
    "stone": (("stones",), ("אבן", "石材", "камень")),
    "metal": (("metals", "metallurgy", "metallurgical"), (
        "מתכת", "金属", "金屬", "금속", "металл", "металлургический", "металлургия", "ლითონი", "მეტალი", "մետաղ",
        "معادن", "matechet", "jinshu", "geumsok", "metall", "metagh", "metaghneri", "metalurji", "madeni")),
    "steel": ((), ("פלדה", "သံမဏိ", "钢铁", "鋼鐵", "钢", "鋼", "철강", "сталь", "стальной", "ფოლადი", "պողպատ",
                   "الصلب", "plada", "gangtie", "cheolgang", "tekko", "celik", "stal", "folad")),
    "cement": ((), ("מלט", "ဘိလပ်မြေ", "水泥", "시멘트", "цемент", "ცემენტი", "ցեմենտ", "اسمنت", "الاسمنت",
                    "melet", "shuini", "cimento", "cimentos", "tsement", "imento")),
    "ceramic": (("ceramics",), ("קרמיקה", "陶瓷", "세라믹", "керамика", "керамический", "taoci", "seramik",
                                "keramika")),
    "ceramic tiles": (("ceramic tile",), ("ကြွေပြား", "陶瓷砖", "陶瓷磚")),
    "tiles": (("tile",), ("אריחים", "瓷砖", "瓷磚", "타일", "плитка", "кафель", "кафельный",
                          "кахельний", "kafelnyi", "kakhelnyi", "plitka")),
    "glass": ((), ("זכוכית", "玻璃", "유리", "стекло", "стекольный")),
    "plastics": (("plastic",), ("פלסטיק", "ပလတ်စတစ်", "塑料", "塑胶", "塑膠", "플라스틱", "пластик", "пластмасс",
                                "suliao", "sujiao", "plastik")),
    "textile": (("textiles",), ("טקסטיל", "纺织", "紡織", "섬유", "текстиль", "текстильный", "fangzhi", "tekstil")),
    "garment": (("garments", "apparel", "clothing"), ("הלבשה", "ביגוד", "အထည်ချုပ်", "服装", "服裝", "制衣", "製衣",
                                                       "의류", "одежда", "fuzhuang", "giyim", "konfeksiyon")),
    "food": (("foods", "foodstuff", "foodstuffs"), (
        "מזון", "စားသောက်ကုန်", "食品", "식품", "продукты питания", "пищевой", "пищевая", "საკვები", "սնունդ",
        "أغذية", "الأغذية", "mazon", "shipin", "sikpum", "shokuhin", "gida", "pishchevoi", "aghdhiya")),
    "seafood": (("seafoods",), ("פירות ים", "海鲜", "海鮮", "해산물", "морепродукты", "haixian", "deniz urunleri")),
    "fishery": (("fisheries", "fishing", "fish"), (
        "דגים", "ငါးလုပ်ငန်း", "渔业", "漁業", "水产", "水産", "水產", "수산", "рыбный", "рыболовецкий", "дагим",
        "dagim", "yuye", "shuichan", "suisan", "gyogyo", "balikcilik", "rybnyi")),
    "rice": ((), ("אורז", "大米", "米业", "米業", "쌀", "рис", "pirinc")),
    "mill": (("mills",), ("טחנה", "磨坊", "мельница", "tahana", "degirmen")),
    "rice mill": (("rice mills",), ("ဆန်စက်", "碾米厂", "碾米廠", "рисовая мельница")),
    "oil mill": (("oil mills",), ("ဆီစက်", "油厂", "油廠", "маслозавод", "maslozavod")),
    "oil": (("oils",), ("שמן", "油脂", "食用油", "масло", "масложировой", "shemen", "yag")),
    "olive": (("olives",), ("זית", "זיתים", "橄榄", "橄欖", "zeytin")),
    "olive press": (("olive presses",), ("בית בד", "בית הבד")),
    "wine": (("wines", "winery"), ("יין", "יקב", "葡萄酒", "와인", "вино", "винный", "ღვინო", "գինի", "yayin",
                                   "yekev", "putaojiu", "vino", "gvino", "ghvino", "gini", "sarap")),
    "milk": (("dairy",), ("חלב", "מחלבה", "乳业", "乳業", "牛奶", "우유", "молоко", "молочный", "молочная",
                          "რძე", "կաթ", "halav", "machlava", "ruye", "moloko", "molochnyi", "rdze", "kat", "sut")),
    "purified drinking water": ((), ("သောက်ရေသန့်", "纯净水", "純淨水")),
    "water": (("waters",), ("מים", "饮用水", "飲用水", "생수", "вода", "წყალი", "ջուր", "mayim", "tskali",
                            "jur")),
    "tea": (("teas",), ("လက်ဖက်ခြောက်", "茶业", "茶業", "茶叶", "茶葉", "чай", "chaye", "cay")),
    "agriculture": (("agricultural", "agro", "farming"), (
        "חקלאות", "חקלאי", "စိုက်ပျိုးရေး", "农业", "農業", "농업", "сельскохозяйственный", "сельское хозяйство",
        "агро", "სოფლის მეურნეობა", "գյուղատնտեսություն", "زراعة", "الزراعية", "haklaut", "chaklaut", "nongye",
        "nongeop", "nogyo", "tarim", "tarimsal", "ziraat", "zira")),
    "produce": (("fresh produce",), ("תוצרת", "tozeret", "totseret")),
    "fresh": ((), ("טרייה", "טרי", "טריים", "triya")),
    "pharmaceutical": (("pharmaceuticals", "pharma", "pharmacy"), (
        "תרופות", "פארמה", "ဆေးဝါး", "制药", "製藥", "医药", "醫藥", "药业", "藥業", "제약", "фармацевтический",
        "фарма", "фармацевтическая", "ფარმაცია", "դեղագործական", "أدوية", "zhiyao", "yiyao", "yaoye", "jeyak",
        "seiyaku", "ilac", "farma", "farmatsevticheskii")),
    "medical": ((), ("רפואי", "רפואה", "医疗", "醫療", "의료", "медицинский", "медицинская", "طبية", "yiliao",
                     "uiryo", "tibbi", "meditsinskii")),
    "chemical": (("chemicals", "chemistry"), (
        "כימיקלים", "כימיה", "化工", "化学", "化學", "화학", "химический", "химическая", "химия", "კიმია", "քիմիական",
        "كيماويات", "huagong", "huaxue", "hwahak", "kagaku", "kimya", "khimicheskii", "khimiya")),
    "machinery": (("machines", "machine"), (
        "מכונות", "机械", "機械", "机器", "機器", "기계", "машиностроительный", "машиностроение", "машины",
        "مكائن", "mechonot", "jixie", "jiqi", "gigye", "kikai", "makina", "makine", "makineleri",
        "mashinostroitelnyi")),
    "instrument": (("instruments",), ("מכשירים", "仪器", "儀器", "기기", "приборы", "прибор", "yiqi", "cihaz")),
    "instrument making": ((), ("приборостроительный", "приборостроительная", "приборостроение", "priborostroitelnyi",
                               "priborostroitelnaya", "priborostroyeniye")),
    "precision": ((), ("דיוק", "מדויקים", "מדויק", "精密", "정밀", "точный", "прецизионный", "mduyakim", "medoyakim",
                       "jingmi", "jeongmil", "seimitsu", "hassas")),
    "parts": (("part", "components", "component", "spare parts"), (
        "חלקים", "חלפים", "零件", "配件", "零部件", "부품", "запчасти", "комплектующие", "halakim", "chalakim",
        "lingjian", "peijian", "bupum", "buhin", "parca", "parcalari", "yedek parca")),
    "equipment": (("equipments",), ("ציוד", "设备", "設備", "장비", "설비", "оборудование", "tziyud", "shebei",
                                    "jangbi", "setsubi", "ekipman", "ekipmanlari", "oborudovanie")),
    "tools": (("tool", "tooling"), ("כלים", "工具", "공구", "инструмент", "инструменты", "kelim", "gongju",
                                    "kogu", "alet")),
    "technology": (("technologies", "tech", "technical"), (
        "טכנולוגיות", "טכנולוגיה", "နည်းပညာ", "科技", "技术", "技術", "기술", "테크", "технологии", "технология",
        "ტექნოლოგიები", "տեխնոլոգիաներ", "تكنولوجيا", "technologiot", "keji", "jishu", "gisul", "gijutsu",
        "teknoloji", "teknolojileri", "tekhnologii")),
    "engineering": (("engineers", "engineer"), (
        "הנדסה", "אינג'ינירינג", "အင်ဂျင်နီယာ", "工程", "엔지니어링", "инжиниринг", "инженерный", "инженерная",
        "ინჟინერინგი", "هندسة", "handasa", "gongcheng", "muhendislik", "inzhiniring", "handasah")),
    "software": ((), ("תוכנה", "软件", "軟體", "軟件", "소프트웨어", "программное обеспечение", "tochna", "ruanjian",
                      "yazilim")),
    "computer": (("computers", "computing"), ("מחשבים", "מחשב", "ကွန်ပျူတာ", "电脑", "電腦", "计算机", "計算機", "컴퓨터",
                                              "компьютер", "компьютеры", "mahshevim", "diannao", "bilgisayar")),
    "communications": (("communication", "telecom", "telecommunications"), (
        "תקשורת", "ဆက်သွယ်ရေး", "通信", "通讯", "通訊", "电信", "電信", "통신", "связь", "телеком", "اتصالات",
        "tikshoret", "tongxin", "tongxun", "dianxin", "tongsin", "tsushin", "iletisim", "svyaz", "ittisalat")),
    "energy": (("power",), ("אנרגיה", "စွမ်းအင်", "能源", "에너지", "энергия", "энерго", "энергетика", "ენერგია",
                            "էներգիա", "طاقة", "الطاقة", "energia", "nengyuan", "eneoji", "enerji", "energetika",
                            "taqa")),
    "petroleum": (("oil and gas",), ("נפט", "ရေနံ", "石油", "석유", "нефть", "нефтяной", "нефтяная", "ნავთობი", "نفط",
                                     "النفط", "neft", "shiyou", "seogyu", "sekiyu", "petrol", "neftyanoi", "naft")),
    "gas": ((), ("גז", "ဓာတ်ငွေ့", "燃气", "燃氣", "天然气", "天然氣", "가스", "газ", "გაზი", "غاز", "ranqi", "gaz")),
    "mining": ((), ("כרייה", "מכרות", "သတ္တုတွင်း", "矿业", "礦業", "광업", "горнодобывающий", "горнорудный",
                    "تعدين", "kuangye", "gwangeop", "kogyo", "madencilik")),
    "printing": (("printers", "print"), ("דפוס", "ပုံနှိပ်", "印刷", "인쇄", "типография", "полиграфия", "dfus",
                                         "yinshua", "insoe", "insatsu", "matbaa", "matbaacilik", "tipografiya")),
    "printing house": (("printing press",), ("ပုံနှိပ်တိုက်", "בית דפוס")),
    "shipyard": (("shipyards", "shipbuilding"), ("מספנה", "מספנות", "သင်္ဘောကျင်း", "造船", "船厂", "船廠",
                                                 "судостроительный", "судоверфь", "верфь", "zaochuan", "chuanchang",
                                                 "zosen", "tersane", "tersanesi", "sudostroitelnyi")),
    "automotive": (("automobile", "automobiles", "auto", "motors", "motor", "vehicles"), (
        "רכב", "מוטורס", "汽车", "汽車", "자동차", "автомобильный", "автомобили", "авто", "ავტო", "سيارات",
        "rechev", "qiche", "jadongcha", "jidosha", "otomotiv", "avtomobilnyi")),
    "furniture": ((), ("רהיטים", "家具", "가구", "мебель", "мебельный", "rahitim", "jiaju", "gagu", "kagu", "mobilya")),
    "jewelry": (("jewellery", "jewelers", "jewellers"), ("תכשיטים", "珠宝", "珠寶", "보석", "ювелирный", "tachshitim",
                                                          "zhubao", "mucevher", "kuyumculuk")),
    "diamonds": (("diamond",), ("יהלומים", "钻石", "鑽石", "다이아몬드", "бриллианты", "алмазы", "yahalomim", "zuanshi",
                                "elmas", "almazy")),
    "holdings": (("holding",), ("אחזקות", "החזקות", "控股", "홀딩스", "холдинг", "ahzakot", "achzakot", "konggu")),
    "group": (("groups",), ("קבוצת", "קבוצה", "အုပ်စု", "ကုမ္ပဏီများအုပ်စု", "集团", "集團", "그룹", "группа", "группы",
                            "ჯგუფი", "խումբ", "مجموعة", "kvutzat", "kvutsat", "jituan", "geurup", "grubu", "gruppa",
                            "majmoua")),
    "investment": (("investments", "invest"), (
        "השקעות", "ရင်းနှီးမြှုပ်နှံမှု", "投资", "投資", "투자", "инвестиции", "инвестиционный", "инвестиционная",
        "ინვესტიციები", "استثمار", "الاستثمار", "للاستثمار", "haskaot", "touzi", "tuja", "toshi", "yatirim",
        "investitsii", "istithmar")),
    "development": (("developments",), ("פיתוח", "ဖွံ့ဖြိုးရေး", "发展", "發展", "开发", "開發", "개발", "развитие",
                                        "развития", "تطوير", "التنمية", "pituach", "fazhan", "kaifa", "gaebal",
                                        "kaihatsu", "gelistirme", "razvitie", "tatwir")),
    "real estate": (("realty", "properties", "property"), (
        "נדל\"ן", "נדלן", "အိမ်ခြံမြေ", "房地产", "房地產", "置业", "置業", "부동산", "недвижимость", "عقارات", "العقارية",
        "nadlan", "fangdichan", "zhiye", "budongsan", "fudosan", "gayrimenkul", "emlak", "nedvizhimost", "aqarat")),
    "insurance": ((), ("ביטוח", "အာမခံ", "保险", "保險", "보험", "страхование", "страховая", "تأمين", "للتأمين",
                       "bituach", "baoxian", "boheom", "hoken", "sigorta", "strakhovaya", "tamin")),
    "hotel": (("hotels",), ("מלון", "מלונות", "ဟိုတယ်", "酒店", "饭店", "飯店", "호텔", "гостиница", "отель",
                            "فندق", "malon", "jiudian", "fandian", "otel", "gostinitsa", "funduq")),
    "travel": (("tourism", "tours"), ("תיירות", "נסיעות", "ခရီးသွား", "旅游", "旅遊", "旅行", "여행", "туризм",
                                      "турагентство", "سياحة", "tayarut", "lvyou", "lvxing", "yeohaeng", "ryoko",
                                      "turizm", "seyahat", "siyaha")),
    "security": ((), ("אבטחה", "安保", "保安", "보안", "безопасность", "охрана", "avtacha", "anbao", "boan",
                      "guvenlik", "okhrana")),
    "consulting": (("consultants", "consultancy", "advisory"), (
        "ייעוץ", "יעוץ", "咨询", "諮詢", "顾问", "顧問", "컨설팅", "консалтинг", "консультационный", "استشارات",
        "yeutz", "zixun", "guwen", "keonseolting", "danismanlik", "konsalting", "istisharat")),
    "import": (("imports", "importers", "importer"), ("יבוא", "ייבוא", "进口", "進口", "수입", "импорт", "استيراد",
                                                      "yevu", "jinkou", "suip", "ithalat", "import", "istirad")),
    "export": (("exports", "exporters", "exporter"), ("יצוא", "ייצוא", "出口", "수출", "экспорт", "تصدير", "yetzu",
                                                      "chukou", "suchul", "ihracat", "eksport", "tasdir")),
    "import export": (("import and export", "imp exp", "impex"), ("יבוא ויצוא", "进出口", "進出口", "수출입",
                                                                   "импорт экспорт", "jinchukou", "ithalat ihracat")),
    "foreign": ((), ("חוץ", "外贸", "外貿", "对外", "對外", "해외", "внешний", "внешняя", "внешнеторговый",
                     "duiwai", "waimao", "dis", "vneshnii", "vneshnyaya", "vneshnetorgovyi")),
    "international": (("intl",), ("בינלאומי", "בינלאומית", "国际", "國際", "인터내셔널", "국제", "международный",
                                  "международная", "საერთაშორისო", "միջազգային", "الدولية", "beinleumi",
                                  "guoji", "gukje", "kokusai", "uluslararasi", "mezhdunarodnyi", "mezhdunarodnaya")),
    "brothers": (("bros",), ("האחים", "אחים", "兄弟", "형제", "братья", "إخوان", "اخوان", "haachim", "haahim",
                             "achim", "xiongdi", "hyeongje", "kardesler", "bratya", "ikhwan")),
    "sons": (("and sons",), ("ובניו", "ובנו", "ubanav", "uvanav", "ogullari", "i synovya", "wa awladuhu",
                                   "وأولاده")),
    "diving": ((), ("צלילה", "潜水", "다이빙", "дайвинг", "tslila", "tzlila", "dalis")),
    "earthworks": (("earth works", "earthmoving"), ("עבודות עפר", "עפר", "土方", "земляные работы", "afar")),
    "bakery": (("bakeries", "bread"), ("מאפייה", "מאפה", "לחם", "面包", "麵包", "베이커리", "пекарня", "хлебозавод",
                                       "хлеб", "პური", "հաց", "mafiya", "lechem", "mianbao", "firin", "ekmek",
                                       "khleb")),
    "fruit": (("fruits",), ("פירות", "水果", "과일", "фрукты", "peirot", "shuiguo", "meyve", "frukty")),
    "vegetables": (("vegetable",), ("ירקות", "蔬菜", "채소", "овощи", "yerakot", "shucai", "sebze", "ovoshchi")),
    "meat": (("meats",), ("בשר", "肉类", "肉類", "육류", "мясо", "мясной", "basar", "rouye", "myasnoi")),
    "aviation": (("aerospace", "airlines", "air"), ("תעופה", "航空", "항공", "авиа", "авиационный", "aviatsionnyi",
                                                    "teufa", "hangkong", "hanggong", "koku", "havacilik")),
    # "company" as a word of the name: read as a legal form once in English (legal_forms.py)
    "company": (("companies",), ("شركة", "الشركة", "חברת", "компания", "sharika", "sharikat")),
    "bank": (("banking",), ("בנק", "银行", "銀行", "은행", "банк", "بنك", "yinhang", "eunhaeng", "ginko", "banka",
                            "bankasi")),
    # the countries that company names of this service's trade carry most, as one word (country_words())
    "china": (("prc",), ("中国", "中國", "중국", "китай", "zhongguo")),
    "taiwan": ((), ("台湾", "臺灣", "台灣", "대만", "тайвань")),
    "hongkong": ((), ("香港", "гонконг", "xianggang")),
    "russia": (("rossiya",), ("俄罗斯", "俄羅斯", "러시아", "россия", "rossii")),
    "gold": ((), ("זהב", "黄金", "黃金", "золото", "золотой", "zahav", "huangjin", "altin", "zoloto")),
}

# Words of these scripts are written without spaces between the words of a name (CJK, Burmese):
# their glossary words are found anywhere in the text, the others only as whole words.
_UNSPACED: Final = re.compile(r"[\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# A Burmese word must not end inside a syllable (ဆန် "rice" is not the start of ဆန်း in "Aung San") nor
# start inside a stacked consonant.
_BURMESE_MARK: Final = ("[\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d"
                        "\u108f\u109a-\u109d]")
# 深圳市恒达: "Shenzhen City Hengda", written "Shenzhen Hengda" in Latin letters; 市 after a place name
# of two or more characters and before the name (not 市场 "market", not a person's 高市).
_CITY: Final = re.compile(r"(?<=[\u4e00-\u9fff]{2})[市省](?=[\u4e00-\u9fff])")
# Hebrew and Arabic join "and" and "the" to the next word (ושיווק "and marketing", التجارة "the trade").
_HEBREW_PREFIX: Final = "(?:ו?ה?)"
_ARABIC_PREFIX: Final = "(?:و?(?:ال|لل)?)"


def _native_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for canonical, (_english, foreign) in CONCEPTS.items():
        for word in foreign:
            if not word.isascii():
                words.setdefault(word, canonical)
    return words


NATIVE_WORDS: Final = _native_words()


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    spaced = sorted((w for w in NATIVE_WORDS if not _UNSPACED.search(w)), key=len, reverse=True)
    unspaced = sorted((w for w in NATIVE_WORDS if _UNSPACED.search(w)), key=len, reverse=True)
    whole = re.compile(rf"(?i)(?<!\w)(?:{_HEBREW_PREFIX}|{_ARABIC_PREFIX})({'|'.join(map(re.escape, spaced))})(?!\w)")
    anywhere = re.compile(f"(?<!\u1039)(?:{'|'.join(map(re.escape, unspaced))})(?!{_BURMESE_MARK})")
    return whole, anywhere


def prepare() -> None:
    """Compile the patterns now: the first text in another script otherwise waits for them (about 8 ms,
    73 million instructions), and a served index reads no listed name that would have compiled them."""
    _patterns()


def gloss_native(text: str) -> str:
    """The text with business words of other scripts replaced by their English word (between spaces).

    Called on non-Latin text before transliteration; a text with none of the words comes back as it was.
    """
    whole, anywhere = _patterns()
    text = whole.sub(lambda m: f" {NATIVE_WORDS[m.group(1).lower()]} ", text)
    if _UNSPACED.search(text):
        text = anywhere.sub(lambda m: f" {NATIVE_WORDS[m.group(0)]} ", text)
        text = _CITY.sub(" ", text)
    return text


def native_spellings(text: str) -> dict[str, str]:
    """The English word of each business word of another script in the text, with the word as written
    there (joined "the" or "and" included: הזהב for "gold"): a Latin name may transliterate the word
    rather than translate it ("Ogen Hazahav"), and the scorer tries both."""
    whole, anywhere = _patterns()
    found = {NATIVE_WORDS[m.group(1).lower()]: m.group(0) for m in whole.finditer(text)}
    if _UNSPACED.search(text):
        found.update((NATIVE_WORDS[m.group(0)], m.group(0)) for m in anywhere.finditer(text))
    return {english: native for english, native in found.items() if " " not in english}


def _latin_concepts() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for canonical, (english, foreign) in CONCEPTS.items():
        for word in (canonical, *english, *(w for w in foreign if w.isascii())):
            if " " not in word:  # names are compared word by word
                table.setdefault(word, set()).add(canonical)
    return {word: frozenset(concepts) for word, concepts in table.items()}


LATIN_CONCEPTS: Final = _latin_concepts()


def same_concept(a: str, b: str) -> bool:
    """Whether two Latin words are one business word in two languages ("gvino" and "wine", "ticaret"
    and "trading"), or two English forms of it ("industrial" and "industries")."""
    left = LATIN_CONCEPTS.get(a)
    return left is not None and not left.isdisjoint(LATIN_CONCEPTS.get(b, ()))
