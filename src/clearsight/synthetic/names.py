"""Name pools by name-origin group, nicknames and ethnicity labels.

The pools reflect the population of West Yorkshire: mostly English names, a large South
Asian community (Bradford above all), and smaller Irish, Eastern European, West African,
Arabic and Chinese communities. Names are listed most common first; the generator draws
from them with Zipf-like weights so that common names repeat as they do in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OriginGroup:
    """A name-origin group: its name pools and how its members describe their ethnicity."""

    key: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    #: (self-defined ethnicity code, weight) pairs, codes from ``SELF_DEFINED``
    ethnicity: tuple[tuple[str, float], ...]


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ENGLISH = OriginGroup(
    key="english",
    male=_split(
        "David John Michael Paul Andrew Mark James Richard Christopher Peter Stephen Robert "
        "Daniel Thomas Matthew William Anthony Joseph Samuel Benjamin Jonathan Nicholas Simon "
        "Gary Craig Lee Dean Wayne Jason Ian Kevin Martin Neil Stuart Jamie Ryan Liam Callum "
        "Jack Harry Oliver George Charlie Alfie Joshua Lewis Kieran Connor Jordan Nathan Adam "
        "Luke Scott Carl Darren Shaun Philip Graham Keith Alan Brian Trevor Edward Alexander "
        "Kyle Bradley Reece Tyler Ethan Mason Leon Aaron Marcus Dominic Gareth Barry Colin"
    ),
    female=_split(
        "Sarah Emma Claire Laura Rebecca Elizabeth Victoria Jennifer Katherine Margaret Susan "
        "Deborah Karen Julie Helen Nicola Joanne Lisa Michelle Amanda Rachel Samantha Gemma "
        "Hannah Charlotte Amy Sophie Chloe Jessica Lauren Emily Olivia Lucy Megan Jade Danielle "
        "Stacey Kelly Leanne Natalie Zoe Louise Jane Patricia Christine Alison Tracey Dawn "
        "Hayley Kirsty Abigail Ellie Grace Holly Paige Courtney Shannon Bethany Georgia Alice "
        "Catherine Caroline Jacqueline Wendy Sharon Pauline Janet Maria Kerry Carly"
    ),
    surnames=_split(
        "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
        "Walker White Roberts Green Hall Wood Jackson Clarke Harrison Hill Turner Cooper Ward "
        "Morris Moore Clark Lee King Baker Harris Lewis Allen Mitchell Shaw Marshall Dixon "
        "Barker Holmes Atkinson Hudson Sykes Haigh Crowther Firth Hirst Brook Greenwood "
        "Ackroyd Hepworth Longbottom Oldroyd Pickles Priestley Sutcliffe Whiteley Holroyd "
        "Illingworth Ramsden Broadbent Bentley Lockwood Armitage Booth Kaye Fletcher Hargreaves "
        "Horsfall Wadsworth Brear Midgley Pearson Simpson Stephenson Chapman Webster Cross "
        "Parkin Walsh Bailey Bell Carter Cook Edwards Hughes Kelly Lawson Marsden Naylor "
        "Oates Petty Rhodes Scholes Spencer Swift Tomlinson Walton Wilkinson Young"
    ),
    ethnicity=(("W1", 0.93), ("W9", 0.02), ("M1", 0.02), ("B1", 0.02), ("NS", 0.01)),
)

IRISH = OriginGroup(
    key="irish",
    male=_split(
        "Sean Patrick Liam Declan Ciaran Conor Niall Eoin Padraig Brendan Cormac Kieran "
        "Aidan Fergal Colm Darragh Eamon Oisin Ronan Seamus Donal Cathal Shane Killian"
    ),
    female=_split(
        "Siobhan Aoife Niamh Ciara Roisin Sinead Orla Grainne Aisling Caoimhe Mairead "
        "Saoirse Deirdre Clodagh Eimear Fionnuala Maeve Nuala Brid Cliodhna Ailbhe Treasa"
    ),
    surnames=_split(
        "Murphy Kelly O'Sullivan Walsh O'Brien Byrne Ryan O'Connor O'Neill Reilly Doyle "
        "McCarthy Gallagher Doherty Kennedy Lynch Murray Quinn Moore McLoughlin Carroll "
        "Connolly Daly Connell Brennan Burke Collins Callaghan Fitzgerald Nolan Donnelly "
        "Duffy Kavanagh McGrath Hegarty Maguire Flanagan Mulligan"
    ),
    ethnicity=(("W2", 0.80), ("W1", 0.15), ("W9", 0.05)),
)

SOUTH_ASIAN = OriginGroup(
    key="south_asian",
    male=_split(
        "Mohammed Muhammad Mohammad Ahmed Ali Hassan Imran Asif Tariq Zahid Shahid Khalid "
        "Sajid Naveed Amjad Arshad Waqar Adnan Usman Bilal Faisal Hamza Ibrahim Yusuf Zain "
        "Ayaan Rehan Kamran Irfan Javed Nadeem Rizwan Shakeel Wasim Zubair Abdul Aftab "
        "Rajesh Sanjay Vikram Arjun Rohan Harjit Gurpreet Jaspal Manjit Sukhdev Rajinder "
        "Amarjit Kuldip Hardeep Anil Sunil Ravi Deepak Nikhil Kiran Ajay Pradeep"
    ),
    female=_split(
        "Fatima Aisha Ayesha Amina Zainab Maryam Khadija Nadia Samina Shazia Rubina Nasreen "
        "Parveen Shabana Yasmin Sadia Saima Rabia Sana Hira Iqra Mehreen Noor Zara Alisha "
        "Anam Hafsa Safa Bushra Farah Asma Nazia Tahira Shamim Rukhsana Sobia Uzma "
        "Priya Anjali Sunita Kavita Harpreet Jaspreet Manpreet Simran Rajvinder Kamaljit "
        "Sukhjit Gurdeep Neeta Pooja Reena Seema Meena Asha"
    ),
    surnames=_split(
        "Khan Hussain Ahmed Ali Akhtar Iqbal Mahmood Shah Rehman Bibi Begum Butt Malik Hussein "
        "Raja Aslam Bashir Rashid Qureshi Chaudhry Javed Mirza Sheikh Anwar Yousaf Kauser "
        "Latif Nawaz Saddique Zaman Riaz Arif Sadiq Hanif Siddique Majid Rafiq Ashraf "
        "Patel Singh Kaur Sharma Gill Sandhu Sidhu Dhillon Bains Virdi Mistry Lal Kumar Sahota "
        "Chohan Bhatti Rana Dar Mir Uddin Miah Islam Choudhury"
    ),
    ethnicity=(("A2", 0.70), ("A1", 0.20), ("A3", 0.06), ("A9", 0.03), ("NS", 0.01)),
)

EASTERN_EUROPEAN = OriginGroup(
    key="eastern_european",
    male=_split(
        "Łukasz Paweł Tomasz Piotr Krzysztof Marcin Michał Jakub Kamil Mateusz Wojciech "
        "Andrzej Grzegorz Dawid Sebastian Adrian Mariusz Rafał Bartosz Damian Ionut Andrei "
        "Mihai Florin Bogdan Marius Constantin Vasile Gheorghe Tomas Mindaugas "
        "Darius Jonas Martin Peter Lukas Jan Milan Juraj Dmitri Oleksandr Ivan Vitalii"
    ),
    female=_split(
        "Katarzyna Agnieszka Magdalena Małgorzata Joanna Anna Monika Aleksandra Natalia "
        "Justyna Paulina Ewelina Karolina Dorota Beata Ioana Elena Andreea Alina Mihaela "
        "Cristina Ramona Raluca Gabriela Ruta Egle Ieva Lucie Jana Zuzana Veronika Olena "
        "Iryna Tetiana Svitlana Oksana"
    ),
    surnames=_split(
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński "
        "Szymański Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk "
        "Popescu Ionescu Popa Pop Radu Dumitru Stan Stoica Gheorghe Rusu Munteanu Matei "
        "Kazlauskas Jankauskas Petrauskas Horvath Novak Kovac Balog Dvorak Shevchenko "
        "Kovalenko Bondarenko Tkachenko Melnyk"
    ),
    ethnicity=(("W9", 0.88), ("W1", 0.04), ("O9", 0.04), ("NS", 0.04)),
)

WEST_AFRICAN = OriginGroup(
    key="west_african",
    male=_split(
        "Oluwaseun Oluwadamilare Chukwuemeka Emeka Chinedu Obinna Tunde Babatunde Ade "
        "Adebayo Olumide Femi Kwame Kofi Kwabena Yaw Kojo Samuel Emmanuel Daniel Ikenna "
        "Uche Nnamdi Segun Kayode Tobi Ifeanyi Chidi Musa Ibrahim"
    ),
    female=_split(
        "Oluwakemi Folake Funmilayo Ngozi Chioma Adaeze Amaka Nkechi Ifeoma Yetunde "
        "Abimbola Bukola Titilayo Ama Akosua Abena Efua Adwoa Esi Grace Blessing Precious "
        "Favour Joy Mercy Comfort Chiamaka Temitope Omolara"
    ),
    surnames=_split(
        "Okafor Adeyemi Okonkwo Mensah Owusu Boateng Asante Osei Adebayo Oladipo Ogunleye "
        "Eze Nwosu Chukwu Obi Adeleke Afolabi Bello Ibrahim Danso Appiah Agyeman Ofori "
        "Akinola Balogun Olaniyan Okeke Nwachukwu Ansah Darko"
    ),
    ethnicity=(("B2", 0.90), ("B9", 0.05), ("M2", 0.03), ("NS", 0.02)),
)

ARABIC = OriginGroup(
    key="arabic",
    male=_split(
        "Mohamed Ahmad Omar Abdullah Abdulrahman Youssef Khaled Mustafa Karim Tarek Samir "
        "Nabil Walid Hamid Rami Fadi Bassam Jamal Majed Saif Abdelaziz Hussein"
    ),
    female=_split(
        "Fatma Aya Layla Mariam Nour Rania Hana Salma Dina Rana Yasmine Lina Sara Huda "
        "Reem Amal Samira Leila Nadia Ghada"
    ),
    surnames=_split(
        "Al-Hassan Abdullah Mansour Haddad Nasser Saleh Hamdan Khalil Youssef Mahmoud "
        "Ibrahim El-Sayed Said Omar Farouk Kassem Salem Haidar Aziz Darwish Suleiman Jaber"
    ),
    ethnicity=(("O2", 0.85), ("O9", 0.10), ("NS", 0.05)),
)

CHINESE = OriginGroup(
    key="chinese",
    male=_split("Wei Jun Hao Ming Lei Jian Tao Yong Bo Chen Kai Feng Long Peng"),
    female=_split("Li Mei Ying Xin Jing Yan Hui Fang Lan Ting Xia Yu Qing Ling"),
    surnames=_split("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Lin Guo He"),
    ethnicity=(("A4", 0.92), ("A9", 0.05), ("NS", 0.03)),
)

ORIGIN_GROUPS: tuple[OriginGroup, ...] = (
    ENGLISH,
    IRISH,
    SOUTH_ASIAN,
    EASTERN_EUROPEAN,
    WEST_AFRICAN,
    ARABIC,
    CHINESE,
)
ORIGIN_KEYS: tuple[str, ...] = tuple(g.key for g in ORIGIN_GROUPS)

#: Share of households of each origin group, by local authority (same order as ORIGIN_GROUPS).
ORIGIN_MIX: dict[str, tuple[float, ...]] = {
    "Bradford": (0.62, 0.02, 0.28, 0.04, 0.02, 0.015, 0.005),
    "Calderdale": (0.82, 0.02, 0.10, 0.03, 0.01, 0.01, 0.01),
    "Kirklees": (0.74, 0.02, 0.16, 0.04, 0.02, 0.01, 0.01),
    "Leeds": (0.76, 0.03, 0.08, 0.05, 0.04, 0.02, 0.02),
    "Wakefield": (0.89, 0.02, 0.03, 0.04, 0.01, 0.005, 0.005),
}

#: Self-defined ethnicity (the 16+1 codes used in custody) with their labels.
SELF_DEFINED: dict[str, str] = {
    "W1": "W1 - White: English/Welsh/Scottish/Northern Irish/British",
    "W2": "W2 - White: Irish",
    "W9": "W9 - White: Any other White background",
    "M1": "M1 - Mixed: White and Black Caribbean",
    "M2": "M2 - Mixed: White and Black African",
    "A1": "A1 - Asian or Asian British: Indian",
    "A2": "A2 - Asian or Asian British: Pakistani",
    "A3": "A3 - Asian or Asian British: Bangladeshi",
    "A4": "A4 - Asian or Asian British: Chinese",
    "A9": "A9 - Asian or Asian British: Any other Asian background",
    "B1": "B1 - Black or Black British: Caribbean",
    "B2": "B2 - Black or Black British: African",
    "B9": "B9 - Black or Black British: Any other Black background",
    "O2": "O2 - Other ethnic group: Arab",
    "O9": "O9 - Other ethnic group: Any other ethnic group",
    "NS": "NS - Not stated",
}
SELF_DEFINED_CODES: tuple[str, ...] = tuple(SELF_DEFINED)

#: police.uk wording of self-defined ethnicity, by code.
POLICE_UK_SELF_DEFINED: dict[str, str] = {
    "W1": "White - English/Welsh/Scottish/Northern Irish/British",
    "W2": "White - Irish",
    "W9": "White - Any other White background",
    "M1": "Mixed/Multiple ethnic groups - White and Black Caribbean",
    "M2": "Mixed/Multiple ethnic groups - White and Black African",
    "A1": "Asian/Asian British - Indian",
    "A2": "Asian/Asian British - Pakistani",
    "A3": "Asian/Asian British - Bangladeshi",
    "A4": "Asian/Asian British - Chinese",
    "A9": "Asian/Asian British - Any other Asian background",
    "B1": "Black/African/Caribbean/Black British - Caribbean",
    "B2": "Black/African/Caribbean/Black British - African",
    "B9": "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    "O2": "Other ethnic group - Arab",
    "O9": "Other ethnic group - Any other ethnic group",
    "NS": "Other ethnic group - Not stated",
}

#: Officer-defined ethnicity (police.uk wording), by self-defined code.
OFFICER_DEFINED: dict[str, str] = {
    "W1": "White",
    "W2": "White",
    "W9": "White",
    "M1": "Black",
    "M2": "Black",
    "A1": "Asian",
    "A2": "Asian",
    "A3": "Asian",
    "A4": "Asian",
    "A9": "Asian",
    "B1": "Black",
    "B2": "Black",
    "B9": "Black",
    "O2": "Other",
    "O9": "Other",
    "NS": "White",
}

#: Formal name -> the informal forms people give or officers write down.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Mohammed": ("Mo",),
    "Muhammad": ("Mo",),
    "Mohammad": ("Mo",),
    "Mohamed": ("Mo",),
    "James": ("Jim", "Jimmy"),
    "Michael": ("Mike", "Mick"),
    "Richard": ("Rich", "Dick"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Joseph": ("Joe",),
    "Samuel": ("Sam",),
    "Benjamin": ("Ben",),
    "Jonathan": ("Jon",),
    "Nicholas": ("Nick",),
    "Andrew": ("Andy",),
    "David": ("Dave",),
    "Stephen": ("Steve",),
    "Edward": ("Ed", "Ted"),
    "Alexander": ("Alex",),
    "Philip": ("Phil",),
    "Patrick": ("Pat", "Paddy"),
    "Katherine": ("Kate", "Kathy"),
    "Catherine": ("Cath", "Cathy"),
    "Margaret": ("Maggie", "Peggy"),
    "Jennifer": ("Jenny", "Jen"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky",),
    "Samantha": ("Sam",),
    "Susan": ("Sue",),
    "Deborah": ("Debbie",),
    "Patricia": ("Pat", "Trish"),
    "Jacqueline": ("Jackie",),
    "Christine": ("Chris",),
    "Abigail": ("Abbie",),
    "Nicola": ("Nicky",),
    "Abdulrahman": ("Abdul",),
    "Abdullah": ("Abdul",),
    "Ibrahim": ("Ibby",),
    "Oluwaseun": ("Seun",),
    "Oluwadamilare": ("Dami",),
    "Oluwakemi": ("Kemi",),
    "Babatunde": ("Tunde",),
    "Chukwuemeka": ("Emeka",),
    "Funmilayo": ("Funmi",),
    "Katarzyna": ("Kasia",),
    "Małgorzata": ("Gosia",),
    "Aleksandra": ("Ola",),
    "Tomasz": ("Tomek",),
    "Krzysztof": ("Krzys",),
    "Oleksandr": ("Sasha",),
}


@dataclass(frozen=True)
class NameTables:
    """The name pools flattened into arrays the generator indexes with numpy.

    ``forenames`` holds every forename of every group and gender; ``forename_ranges``
    gives, per (group, gender), the half-open slice of it and Zipf weights over the slice.
    Surnames are handled the same way per group.
    """

    forenames: np.ndarray
    surnames: np.ndarray
    forename_ranges: dict[tuple[int, int], tuple[int, int]]
    surname_ranges: dict[int, tuple[int, int]]
    nickname_of: dict[int, tuple[str, ...]]


def zipf_weights(n: int, exponent: float = 0.9) -> np.ndarray:
    """Weights proportional to 1/rank**exponent, normalised to sum to one."""
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return weights / weights.sum()


def build_name_tables() -> NameTables:
    """Flatten the pools of :data:`ORIGIN_GROUPS` into :class:`NameTables`."""
    forenames: list[str] = []
    surnames: list[str] = []
    forename_ranges: dict[tuple[int, int], tuple[int, int]] = {}
    surname_ranges: dict[int, tuple[int, int]] = {}
    for g, group in enumerate(ORIGIN_GROUPS):
        for gender, pool in ((0, group.male), (1, group.female)):
            start = len(forenames)
            forenames.extend(pool)
            forename_ranges[(g, gender)] = (start, len(forenames))
        start = len(surnames)
        surnames.extend(group.surnames)
        surname_ranges[g] = (start, len(surnames))
    nickname_of = {i: NICKNAMES[name] for i, name in enumerate(forenames) if name in NICKNAMES}
    return NameTables(
        forenames=np.array(forenames, dtype=object),
        surnames=np.array(surnames, dtype=object),
        forename_ranges=forename_ranges,
        surname_ranges=surname_ranges,
        nickname_of=nickname_of,
    )
