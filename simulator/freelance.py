"""A seeded freelance-project market (Freelancer.com, PeoplePerHour, Upwork) on the simulator's clock.

Why it exists: the freelance marketplaces' small "data entry", "copy paste" and "web research" jobs shade into
microwork, and the observatory counts them by employer country. Their parsers need a live market to read and
the warehouse needs a ground truth to be checked against, on a machine with no network (and Upwork's job RSS
was discontinued in 2024). This module is that market; ``simulator.server`` serves it in each platform's
format. Like the MTurk market it uses the standard library only and shares no code with the parsers: it
writes every format from its own model, so a round trip simulator -> crawler -> warehouse proves something.

The model
---------
A fixed population of employers (drawn once from its own seeded stream) lives in known countries, each on one
platform, with a primary currency. Projects are posted over time with a diurnal rhythm (employers post in
their local working hours). Each project has a template (title, description, category and skills per
platform), a type (fixed or hourly) and a budget in the employer's currency drawn from that platform's own
budget conventions, a bid period in days, and a planned end: it is either awarded (closes early) or expires at
the end of its bid period. Bids (Freelancer "bid_count", PeoplePerHour "Proposals") arrive at times drawn
when the project is posted, front-loaded, and only before it closes; the count shown is the number of bid
times up to now, so it grows over time with no per-tick work.

Clock, determinism, truth
-------------------------
Tick T (one simulated minute) runs, in order: (1) closures due at T (awarded or expired projects leave the
active listings), (2) purges of projects closed ``KEEP_CLOSED_MINUTES`` ago (their PeoplePerHour pages go
404), (3) postings (new projects are posted at instant T). All randomness comes from one ``random.Random``
stream derived from the seed ("freelance-market-ticks:<seed>") and consumed only by ticks, so the MTurk
market's streams are untouched and the state at minute T depends only on (seed, scale, start, T). A project
never closes in the tick it is posted, so a snapshot after every tick sees every posting and every closure.

The constructor warms the market up for ``WARMUP_MINUTES`` (the longest bid period) ending at ``stop``
(default ``start``), so listings are populated. Truth counts only ticks strictly after ``start``, each in the
UTC hour that contains T (the MTurk market's rule). Per platform and hour it reports projects posted and
closed (awarded / expired), by employer country (ISO alpha-2; ``unknown`` where the platform shows none) and
by the platform's own published category, and the budget sums of the projects posted, in their original
currencies, split by type.

Categories, skill ids and budget tiers follow real saved data where it exists (Freelancer categories and
currency exchange rates and budget tiers from the API fixtures of 2018; Upwork category names and budget
strings from archived 2021-2022 RSS). Freelancer job (skill) ids not present in the saved 2021 project page
are the simulator's own. PeoplePerHour's RSS and job pages are a model: see ``simulator.server``.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime

PLATFORMS = ("freelancer", "peopleperhour", "upwork")
PLATFORM_SHARE = {"freelancer": 0.5, "peopleperhour": 0.2, "upwork": 0.3}
PROJECTS_PER_HOUR = 30.0  # all platforms together, at scale 1, averaged over the day
EMPLOYERS_PER_SCALE = 600
WARMUP_MINUTES = 30 * 24 * 60  # the longest bid period
KEEP_CLOSED_MINUTES = 30 * 24 * 60  # closed projects stay readable (PeoplePerHour page says "Closed")

# Bid period in days (weights) and the share of projects awarded before it ends, per platform.
BID_PERIODS = {
    "freelancer": ((3, 0.05), (5, 0.05), (7, 0.80), (10, 0.05), (14, 0.05)),
    "peopleperhour": ((30, 1.0),),
    "upwork": ((30, 1.0),),
}
AWARD_SHARE = {"freelancer": 0.45, "peopleperhour": 0.5, "upwork": 0.7}
HOURLY_SHARE = {"freelancer": 0.25, "peopleperhour": 0.15, "upwork": 0.45}
# Upwork hourly jobs: share showing no range at all, and share showing a single rate ("$50.00").
UPWORK_HOURLY_NO_RANGE = 0.45
UPWORK_HOURLY_SINGLE = 0.08
UPWORK_HIDDEN_COUNTRY = 0.02  # clients whose country the feed does not show
BIDS_FACTOR = {"freelancer": 1.0, "peopleperhour": 0.4, "upwork": 0.6}

# Relative posting activity by the employer's local hour: office hours, a little in the evening.
EMPLOYER_ACTIVITY = [
    0.10, 0.06, 0.04, 0.03, 0.03, 0.05, 0.12, 0.35, 0.70, 0.95, 1.00, 1.00,
    0.90, 0.95, 1.00, 0.95, 0.85, 0.70, 0.55, 0.50, 0.45, 0.35, 0.25, 0.15,
]

# (code, name, employer weight, UTC offset in hours, Freelancer timezone (id, country as Freelancer writes
# it, tz name), cities, flag slug). Offsets are September values.
COUNTRIES = [
    ("US", "United States", 0.32, -4, (120, "US", "America/New_York"),
     ("New York", "Austin", "Chicago", "Miami"), "united-states"),
    ("GB", "United Kingdom", 0.12, 1, (262, "UK", "Europe/London"), ("London", "Manchester", "Leeds"),
     "united-kingdom"),
    ("IN", "India", 0.11, 5.5, (403, "IN", "Asia/Kolkata"), ("Mumbai", "Bangalore", "Delhi", "Pune"),
     "india"),
    ("AU", "Australia", 0.07, 10, (331, "AU", "Australia/Sydney"), ("Sydney", "Melbourne", "Brisbane"),
     "australia"),
    ("CA", "Canada", 0.06, -4, (122, "CA", "America/Toronto"), ("Toronto", "Vancouver", "Montreal"),
     "canada"),
    ("DE", "Germany", 0.05, 2, (258, "DE", "Europe/Berlin"), ("Berlin", "Munich", "Hamburg"), "germany"),
    ("PK", "Pakistan", 0.03, 5, (183, "PK", "Asia/Karachi"), ("Lahore", "Karachi"), "pakistan"),
    ("BD", "Bangladesh", 0.02, 6, (381, "BD", "Asia/Dhaka"), ("Dhaka", "Chittagong"), "bangladesh"),
    ("PH", "Philippines", 0.02, 8, (390, "PH", "Asia/Manila"), ("Manila", "Cebu"), "philippines"),
    ("FR", "France", 0.03, 2, (259, "FR", "Europe/Paris"), ("Paris", "Lyon"), "france"),
    ("NL", "Netherlands", 0.03, 2, (263, "NL", "Europe/Amsterdam"), ("Amsterdam", "Rotterdam"),
     "netherlands"),
    ("BE", "Belgium", 0.02, 2, (257, "BE", "Europe/Brussels"), ("Brussels", "Antwerp", "Ghent"), "belgium"),
    ("AE", "United Arab Emirates", 0.03, 4, (375, "AE", "Asia/Dubai"), ("Dubai", "Abu Dhabi"),
     "united-arab-emirates"),
    ("CH", "Switzerland", 0.02, 2, (268, "CH", "Europe/Zurich"), ("Zurich", "Geneva"), "switzerland"),
    ("NG", "Nigeria", 0.02, 1, (41, "NG", "Africa/Lagos"), ("Lagos", "Abuja"), "nigeria"),
    ("ZA", "South Africa", 0.02, 2, (25, "ZA", "Africa/Johannesburg"), ("Cape Town", "Durban"),
     "south-africa"),
]
COUNTRY_NAME = {c[0]: c[1] for c in COUNTRIES}
# Where a platform's employers come from more than the mix above says: PeoplePerHour is a British site,
# Freelancer has many Indian and Australian employers.
COUNTRY_BOOST = {"peopleperhour": {"GB": 5.0}, "freelancer": {"IN": 1.5, "AU": 1.5}}
EURO = {"DE", "FR", "NL", "BE"}

# Freelancer currencies (id, code, sign, name, exchange_rate to USD, country as Freelancer writes it), from
# the budgets API fixture of 2018.
CURRENCIES = {
    "USD": (1, "USD", "$", "US Dollar", 1, "US"),
    "AUD": (3, "AUD", "$", "Australian Dollar", 0.764341, "AU"),
    "GBP": (4, "GBP", "£", "British Pounds", 1.332625, "UK"),
    "EUR": (8, "EUR", "€", "Euro", 1.17494, "EU"),
    "CAD": (9, "CAD", "$", "Canadian Dollar", 0.77685, "CA"),
    "INR": (11, "INR", "₹", "Indian Rupee", 0.015605, "IN"),
}
# Freelancer's named budget tiers per currency (budgets API fixture): fixed "Micro Project" upwards, hourly
# "Basic" to "Skilled". The open-ended tiers ("Expert", "Major Project") are left out.
FL_FIXED_TIERS = {
    "USD": ((10, 30), (30, 250), (250, 750), (750, 1500), (1500, 3000), (3000, 5000), (5000, 10000)),
    "AUD": ((10, 30), (30, 250), (250, 750), (750, 1500), (1500, 3000), (3000, 5000), (5000, 10000)),
    "GBP": ((20, 100), (100, 400), (400, 900), (900, 2000), (2000, 4000), (4000, 8000), (8000, 15000)),
    "EUR": ((8, 30), (30, 250), (250, 750), (750, 1500), (1500, 3000), (3000, 5000), (5000, 10000)),
    "CAD": ((25, 100), (100, 500), (500, 1000), (1000, 2000), (2000, 4000), (4000, 8000), (8000, 15000)),
    "INR": ((600, 1500), (1500, 12500), (12500, 37500), (37500, 75000), (75000, 150000), (150000, 250000),
            (250000, 500000)),
}
FL_HOURLY_TIERS = {
    "USD": ((2, 8), (8, 15), (15, 25), (25, 50)),
    "AUD": ((2, 8), (8, 15), (15, 25), (25, 50)),
    "GBP": ((2, 5), (5, 10), (10, 15), (18, 36)),
    "EUR": ((2, 6), (6, 12), (12, 18), (18, 36)),
    "CAD": ((2, 8), (8, 15), (15, 25), (25, 50)),
    "INR": ((100, 400), (400, 750), (750, 1250), (1250, 2500)),
}
# Which tiers a project of each size draws (tier index, weight).
FL_FIXED_BY_SIZE = {"micro": ((0, 0.6), (1, 0.4)), "small": ((1, 0.7), (2, 0.3)),
                    "medium": ((1, 0.3), (2, 0.4), (3, 0.2), (4, 0.1)),
                    "large": ((3, 0.3), (4, 0.3), (5, 0.25), (6, 0.15))}
FL_HOURLY_BY_SIZE = {"micro": ((0, 0.8), (1, 0.2)), "small": ((0, 0.4), (1, 0.6)),
                     "medium": ((1, 0.4), (2, 0.4), (3, 0.2)), "large": ((2, 0.5), (3, 0.5))}
# Upwork (USD only): fixed budgets and hourly ranges as the archived feed shows them.
UP_FIXED_BY_SIZE = {"micro": (5, 10, 13, 15, 20, 25, 30, 50),
                    "small": (50, 100, 110, 150, 185, 200, 250, 400, 500),
                    "medium": (500, 750, 1000, 1500, 2000, 4000), "large": (5000, 10000, 20000)}
UP_HOURLY_BY_SIZE = {"micro": ((3, 8), (5, 10), (5, 15), (8, 20), (10, 20)),
                     "small": ((8, 25), (10, 20), (10, 30), (13, 30), (15, 25)),
                     "medium": ((10, 40), (15, 50), (17, 40), (20, 40), (27, 50), (30, 60), (35, 63)),
                     "large": ((35, 60), (40, 50), (40, 80), (50, 100))}
# PeoplePerHour: one amount, GBP / USD / EUR, fixed or per hour.
PPH_FIXED_BY_SIZE = {"micro": (10, 15, 20, 25, 30, 40, 50), "small": (50, 75, 100, 150, 200, 250),
                     "medium": (250, 300, 400, 500, 750, 1000), "large": (1000, 1500, 2000, 3000, 5000)}
PPH_HOURLY_BY_SIZE = {"micro": (8, 10, 12), "small": (10, 12, 15), "medium": (15, 20, 25, 30),
                      "large": (35, 40, 50)}

# Freelancer categories (categories API fixture) and jobs (skills): (id, name, seo_url, category id).
FL_CATEGORIES = {1: "Websites, IT & Software", 2: "Writing & Content", 3: "Design, Media & Architecture",
                 4: "Data Entry & Admin", 6: "Sales & Marketing", 10: "Translation & Languages"}
FL_JOBS = {
    "php": (3, "PHP", "php", 1), "javascript": (9, "JavaScript", "javascript", 1),
    "python": (13, "Python", "python", 1), "website_design": (17, "Website Design", "website_design", 3),
    "css": (77, "CSS", "css", 3), "web_scraping": (95, "Web Scraping", "web_scraping", 1),
    "mysql": (305, "MySQL", "mysql", 1), "html": (335, "HTML", "html", 1),
    "data_scraping": (1075, "Data Scraping", "data_scraping", 4),
    # the simulator's own ids from here on (no saved page lists them)
    "data_entry": (39, "Data Entry", "data_entry", 4), "excel": (55, "Excel", "excel", 4),
    "web_search": (58, "Web Search", "web_search", 4), "data_processing": (36, "Data Processing",
                                                                            "data_processing", 4),
    "copy_typing": (496, "Copy Typing", "copy_typing", 4), "virtual_assistant": (283, "Virtual Assistant",
                                                                                   "virtual_assistant", 4),
    "transcription": (222, "Transcription", "transcription", 4),
    "product_descriptions": (1248, "Product Descriptions", "product_descriptions", 2),
    "ecommerce": (1003, "eCommerce", "ecommerce", 4), "shopify": (1156, "Shopify", "shopify", 1),
    "lead_generation": (1031, "Leads", "leads", 6), "research": (263, "Research", "research", 2),
    "article_writing": (15001, "Article Writing", "article_writing", 2),
    "content_writing": (15002, "Content Writing", "content_writing", 2),
    "logo_design": (32, "Logo Design", "logo_design", 3), "graphic_design": (20, "Graphic Design",
                                                                            "graphic_design", 3),
    "illustrator": (22, "Illustrator", "illustrator", 3), "photoshop": (21, "Photoshop", "photoshop", 3),
    "survey": (15003, "Surveys", "surveys", 4),
}


@dataclass(frozen=True)
class Template:
    """One kind of project and how each platform files it. ``small`` kinds are the microwork-like ones."""

    kind: str
    weight: float
    sizes: tuple[str, ...]
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    fl_category: int
    fl_jobs: tuple[str, ...]
    up_category: str
    up_skills: tuple[str, ...]
    pph: tuple[str, str]  # (top category, sub category)
    bids: float  # mean bids over a full bid period on Freelancer


TEMPLATES = [
    Template("data_entry", 10.0, ("micro", "micro", "small"),
             ("Data entry from {n} PDF invoices into Excel", "Simple data entry job - {n} records",
              "Enter product data into Google Sheets", "Data Entry & Admin support needed",
              "Type {n} scanned forms into a spreadsheet"),
             ("I need someone to type data from scanned documents into a spreadsheet. Accuracy matters more "
              "than speed. About {n} rows, template provided.",
              "Looking for a reliable person for data entry. You will copy names, phone numbers and "
              "addresses into our CRM. Long term work for the right person."),
             4, ("data_entry", "excel", "data_processing"), "Data Entry",
             ("Data Entry", "Microsoft Excel", "Google Sheets", "Accuracy Verification"),
             ("Business", "Data Entry"), 30.0),
    Template("copy_paste", 5.0, ("micro",),
             ("Copy paste job - {n} entries", "Copy and paste product details to a spreadsheet",
              "Copy paste work from websites (easy)"),
             ("Copy text from {n} web pages and paste it into the attached sheet, one row per page. Simple "
              "copy paste work, no experience needed.",),
             4, ("copy_typing", "data_entry"), "Data Entry", ("Data Entry", "Copy & Paste", "Typing"),
             ("Business", "Admin Support"), 40.0),
    Template("web_research", 6.0, ("micro", "small"),
             ("Web research: find emails of {n} companies", "Find websites and phone numbers for {n} shops",
              "Internet research for a list of {thing}"),
             ("Search the web and collect the official website, email and phone number for each business in "
              "our list ({n} rows). Paste the results into the Google Sheet.",),
             4, ("web_search", "data_entry", "excel"), "Data Mining",
             ("Web Research", "Data Mining", "Lead Generation", "Google Sheets"),
             ("Business", "Research"), 25.0),
    Template("survey", 2.0, ("micro",),
             ("Participants needed for a 10-minute survey", "Fill in a short online questionnaire",
              "Test our sign-up form and answer a survey"),
             ("We need respondents for a short questionnaire about {thing}. It takes about 10 minutes; pay "
              "per completed response.",),
             4, ("survey", "data_entry"), "Market Research", ("Survey", "Market Research", "Online Research"),
             ("Business", "Market Research"), 20.0),
    Template("product_listing", 6.0, ("micro", "small"),
             ("Upload {n} products to our Shopify store", "Product listing on Amazon - {n} items",
              "Add products to WooCommerce with descriptions"),
             ("We have {n} products with photos and prices in a spreadsheet. Create the product listings in "
              "our store, with titles, descriptions and categories.",),
             4, ("ecommerce", "data_entry", "product_descriptions"), "Data Entry",
             ("Product Listings", "Shopify", "Data Entry", "Amazon Listing"),
             ("Business", "Ecommerce"), 25.0),
    Template("transcription", 5.0, ("micro", "small"),
             ("Transcribe {n} minutes of audio", "Transcription of an interview (English)",
              "Transcribe handwritten notes"),
             ("Transcribe an audio recording of about {n} minutes, clean verbatim, with speaker labels and "
              "timestamps every two minutes.",),
             4, ("transcription", "copy_typing"), "General Transcription",
             ("Transcription", "English", "Audio Transcription"),
             ("Writing & Translation", "Transcription"), 25.0),
    Template("lead_generation", 4.0, ("small",),
             ("Build a B2B lead list of {n} contacts", "LinkedIn lead generation for {thing}"),
             ("Research and build a list of {n} decision makers (name, title, email, LinkedIn) at companies "
              "in our target market.",),
             6, ("lead_generation", "web_search", "excel"), "Lead Generation",
             ("Lead Generation", "Prospect List", "LinkedIn", "Data Entry"),
             ("Marketing, Branding & Sales", "Lead Generation"), 20.0),
    Template("software_web", 12.0, ("medium", "large", "small"),
             ("Fix bugs on a PHP website", "Build a landing page in HTML/CSS", "WordPress site speed-up",
              "Magento 2 checkout customisation"),
             ("Our website has several issues that need fixing. Experience with PHP, MySQL and JavaScript "
              "required. Please share similar work.",),
             1, ("php", "javascript", "mysql", "html"), "Full Stack Development",
             ("PHP", "JavaScript", "MySQL", "HTML"), ("Technology & Programming", "Website Development"),
             18.0),
    Template("software_script", 8.0, ("small", "medium"),
             ("Python script to scrape {thing}", "Automate an Excel report with Python",
              "Web scraping of {n} pages to CSV"),
             ("Write a script that collects data from a website and saves it as CSV. The site has about {n} "
              "pages; the script must be rerunnable.",),
             1, ("python", "web_scraping", "data_scraping"), "Scripting & Automation",
             ("Python", "Data Scraping", "Web Crawling", "Selenium"),
             ("Technology & Programming", "Scripting"),
             15.0),
    Template("design", 9.0, ("small", "medium"),
             ("Logo design for a new {thing} brand", "Design a flyer for our event",
              "Illustrations for a children's book"),
             ("We need a modern, simple design. Please send portfolio samples; vector files required at the "
              "end.",),
             3, ("logo_design", "graphic_design", "illustrator", "photoshop"), "Graphic Design",
             ("Logo Design", "Adobe Illustrator", "Graphic Design"), ("Design", "Logo Design"), 35.0),
    Template("writing", 7.0, ("small", "medium"),
             ("Write {n} blog articles about {thing}", "Product descriptions for {n} items",
              "SEO content writer needed"),
             ("Looking for a native English writer for {n} articles of about 800 words each. SEO knowledge a "
              "plus.",),
             2, ("article_writing", "content_writing", "research"), "Other Content Writing",
             ("Content Writing", "Article Writing", "SEO Writing"),
             ("Writing & Translation", "Content Writing"),
             22.0),
]
_THINGS = ("dental clinics", "real estate agents", "coffee roasters", "yoga studios", "car dealers", "hotels",
           "online shops", "fitness apps", "pet food", "solar installers", "plumbers", "bakeries")
# Employers in these countries sometimes post in their own language (and exercise UTF-8 handling).
LOCAL_TITLES = {
    "DE": ("Dateneingabe für Online-Shop (Excel)", "Recherche: Kontaktdaten von {n} Firmen"),
    "FR": ("Saisie de données – {n} fiches produits", "Recherche web : coordonnées d'entreprises"),
    "NL": ("Data invoer in Excel – {n} regels",),
    "BE": ("Encodage de données / data-invoer ({n} lignes)",),
}
# Untrusted text that parsers must store and show without executing or breaking on it, including a CDATA
# terminator and markup.
HOSTILE_TITLES = (
    "Data entry <script>alert(1)</script>",
    "Copy paste ]]> job & more <b>now</b>",
    "🔥 EASY data entry 🔥 $$$ 💰",
    "Transcribe 日本語 audio — ½ hour",
)
HOSTILE_DESCRIPTIONS = (
    "<img src=x onerror=alert('xss')> Enter the data exactly.",
    "Robert'); DROP TABLE listing;-- type the records ]]> then stop.",
    "RTL \u202eevil\u202c text, zero\u200bwidth; \"quotes\" & 'apostrophes'; tab\tinside.",
)
_FIRST = ("John", "Priya", "Emma", "Ahmed", "Sophie", "Rahul", "Liam", "Chloé", "Lukas", "Grace", "Tunde",
          "Ana", "Daniel", "Fatima", "Noah", "Mei", "Jan", "Sara", "Omar", "Ruth")
_LAST = ("Smith", "Patel", "Jones", "Khan", "Martin", "Sharma", "Brown", "Dubois", "Müller", "Wilson",
         "Okafor", "Santos", "Taylor", "Rahman", "Janssens", "de Vries", "Nguyen", "Cohen", "Reyes", "Evans")
_COMPANY = ("Studio", "Digital", "Trading", "Consulting", "Labs", "Media", "Retail", "Ventures")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def iso(minute: int) -> str:
    """ISO 8601 UTC for the simulator's own endpoints."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(ts: int) -> str:
    """RSS pubDate as the platforms write it ("Wed, 01 Sep 2021 03:43:54 +0000"), locale-independent."""
    d = datetime.fromtimestamp(ts, UTC)
    return f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1][:3]} {d.year} {d:%H:%M:%S} +0000"


def long_date(ts: int) -> str:
    """Upwork's "Posted On" style: "June 17, 2022 13:05 UTC"."""
    d = datetime.fromtimestamp(ts, UTC)
    return f"{_MONTHS[d.month - 1]} {d.day:02d}, {d.year} {d:%H:%M} UTC"


def _to_minute(value: datetime | str | int) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 19 and text[-6] == " ":  # a '+' of an offset that arrived unescaped
            text = text[:-6] + "+" + text[-5:]
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp()) // 60


def ascii_words(text: str) -> list[str]:
    """Words of ``text`` folded to ASCII letters and digits (for URL slugs)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", folded)


class Employer:
    """One employer account on one platform."""

    __slots__ = ("idx", "platform", "id", "username", "display_name", "public_name", "country", "currency",
                 "registered", "city", "company", "verified", "weight")


class Project:
    """One project (job) as the market knows it; every format is written from these attributes."""

    __slots__ = ("id", "platform", "template", "title", "description", "employer", "currency", "type",
                 "bmin", "bmax", "has_budget", "posted", "bidperiod", "closes", "awarded", "n_bids",
                 "bid_first", "bid_mean", "final_bids", "open", "closed_at", "cipher", "fl_jobs",
                 "seo_suffix", "up_skills",
                 "category", "hourly_hours")

    def bids_at(self, minute: int) -> int:
        """Bids received up to ``minute``; frozen once the project has closed (no bids after the end)."""
        if not self.open:
            return self.final_bids
        if minute <= self.posted:
            return 0
        share = min(1.0, (minute - self.posted) / (self.bidperiod * 1440))
        return int(self.n_bids * share ** (1 / 3))

    def bid_avg_at(self, minute: int) -> float | int:
        """Mean bid amount after ``bids_at(minute)`` bids, as Freelancer shows it (0 with no bids)."""
        n = self.bids_at(minute)
        if n == 0:
            return 0
        avg = round(self.bid_mean + (self.bid_first - self.bid_mean) / n, 4)
        return int(avg) if avg == int(avg) else avg


class _FHour:
    """Ground-truth counters of one platform for one UTC hour."""

    __slots__ = ("posted", "awarded", "expired", "posted_country", "closed_country", "posted_category",
                 "closed_category", "budget", "no_budget")

    def __init__(self) -> None:
        self.posted = self.awarded = self.expired = self.no_budget = 0
        self.posted_country: dict[str, int] = {}
        self.closed_country: dict[str, int] = {}
        self.posted_category: dict[str, int] = {}
        self.closed_category: dict[str, int] = {}
        self.budget: dict[tuple[str, str], list[int]] = {}  # (type, currency) -> [projects, sum min, sum max]


def _inc(d: dict[str, int], key: str) -> None:
    d[key] = d.get(key, 0) + 1


def _money(n: int) -> str:
    return f"{n}.00"


class FreelanceMarket:
    """The simulated freelance marketplaces. See the module docstring for the model and the tick order.

    ``stop`` ends the warm-up earlier than ``start`` (the MTurk ``Market`` uses it to tick both markets
    together from its own warm-up on); ``advance`` then carries on minute by minute.
    """

    def __init__(self, seed: int = 42, start: datetime | str | int = 0, scale: float = 1.0,
                 stop: int | None = None) -> None:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        self.seed = int(seed)
        self.scale = float(scale)
        self.start_minute = _to_minute(start)
        self._rng = random.Random(f"freelance-market-ticks:{self.seed}")
        self._open: dict[str, dict[int, Project]] = {p: {} for p in PLATFORMS}  # posting order
        self._all: dict[str, dict[int, Project]] = {p: {} for p in PLATFORMS}  # open + recently closed
        self._closing: dict[int, list[Project]] = {}
        self._purge: dict[int, list[Project]] = {}
        self._hours: dict[str, dict[int, _FHour]] = {p: {} for p in PLATFORMS}
        self._next_id = {"freelancer": 31_560_000, "peopleperhour": 4_510_000, "upwork": 1}
        self._ciphers: set[str] = set()
        self._build_population(random.Random(f"freelance-market-population:{self.seed}:{self.scale}"))
        stop = self.start_minute if stop is None else int(stop)
        self.now_minute = self.start_minute - WARMUP_MINUTES
        if stop < self.now_minute:
            raise ValueError("stop is before the warm-up begins")
        self.advance(stop - self.now_minute)

    # ------------------------------------------------------------------ population
    def _build_population(self, rng: random.Random) -> None:
        """Employers per platform and country, and the posting rhythm (a stream never touched by ticks)."""
        n_total = max(60, round(EMPLOYERS_PER_SCALE * self.scale))
        self.employers: list[Employer] = []
        # pool[(platform, country)] -> (employer indexes, cumulative weights)
        self._pool: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        used_ids: set[int] = set()
        for platform in PLATFORMS:
            for code, _name, weight, _off, _tz, cities, _flag in COUNTRIES:
                n = max(1, round(n_total * PLATFORM_SHARE[platform] * weight))
                idxs, cum, acc = [], [], 0.0
                for _ in range(n):
                    e = Employer()
                    e.idx = len(self.employers)
                    e.platform = platform
                    while True:
                        eid = rng.randint(100_000, 60_000_000)
                        if eid not in used_ids:
                            used_ids.add(eid)
                            break
                    e.id = eid
                    first, last = rng.choice(_FIRST), rng.choice(_LAST)
                    e.username = "".join(ascii_words(first + last[:3])).lower() + str(rng.randint(1, 9999))
                    e.display_name = f"{first} {last[0]}."
                    e.public_name = first
                    e.country = code
                    if platform == "upwork" and rng.random() < UPWORK_HIDDEN_COUNTRY:
                        e.country = None
                    e.currency = _home_currency(platform, code)
                    e.registered = self.start_minute * 60 - rng.randint(30, 4000) * 86400
                    e.city = rng.choice(cities) if rng.random() < 0.85 else None
                    e.company = f"{last} {rng.choice(_COMPANY)}" if rng.random() < 0.3 else None
                    e.verified = rng.random() < 0.6
                    e.weight = rng.paretovariate(1.5)
                    self.employers.append(e)
                    idxs.append(e.idx)
                    acc += e.weight
                    cum.append(acc)
                self._pool[(platform, code)] = (idxs, cum)
        # posting rate per UTC hour and, per hour, the cumulative weights of the employers' countries
        mean_activity = sum(EMPLOYER_ACTIVITY) / 24
        total_w = sum(c[2] for c in COUNTRIES)
        self._rate: list[float] = []
        self._country_cum: dict[str, list[list[float]]] = {p: [] for p in PLATFORMS}
        for h in range(24):
            acc = sum(weight * EMPLOYER_ACTIVITY[int(h + off + 24) % 24]
                      for _c, _n, weight, off, *_ in COUNTRIES)
            self._rate.append(PROJECTS_PER_HOUR * self.scale / 60.0 * acc / (total_w * mean_activity))
            for platform in PLATFORMS:
                boost = COUNTRY_BOOST.get(platform, {})
                acc, cum = 0.0, []
                for code, _name, weight, off, *_ in COUNTRIES:
                    acc += weight * boost.get(code, 1.0) * EMPLOYER_ACTIVITY[int(h + off + 24) % 24]
                    cum.append(acc)
                self._country_cum[platform].append(cum)
        self._platform_cum = []
        acc = 0.0
        for p in PLATFORMS:
            acc += PLATFORM_SHARE[p]
            self._platform_cum.append(acc)
        self._template_cum = []
        acc = 0.0
        for t in TEMPLATES:
            acc += t.weight
            self._template_cum.append(acc)

    # ------------------------------------------------------------------ clock
    def advance(self, minutes: int) -> None:
        """Run ``minutes`` one-minute ticks. Chunking never matters: advance(2) == advance(1); advance(1)."""
        minutes = int(minutes)
        if minutes < 0:
            raise ValueError("minutes must be >= 0")
        for _ in range(minutes):
            self.tick(self.now_minute + 1)

    def _poisson(self, lam: float) -> int:
        rng = self._rng
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k

    def _record(self, platform: str, t: int) -> _FHour | None:
        if t <= self.start_minute:
            return None
        hours = self._hours[platform]
        rec = hours.get(t // 60)
        if rec is None:
            rec = hours[t // 60] = _FHour()
        return rec

    def tick(self, t: int) -> None:
        """Move the clock to minute ``t`` (exactly one minute on) and run closures, purges and postings."""
        if t != self.now_minute + 1:
            raise ValueError("ticks must be consecutive")
        self.now_minute = t
        for p in self._closing.pop(t, ()):
            p.final_bids = p.bids_at(t - 1)  # while still open: the count freezes at its last value
            p.open = False
            p.closed_at = t
            del self._open[p.platform][p.id]
            self._purge.setdefault(t + KEEP_CLOSED_MINUTES, []).append(p)
            rec = self._record(p.platform, t)
            if rec is not None:
                if p.awarded:
                    rec.awarded += 1
                else:
                    rec.expired += 1
                _inc(rec.closed_country, self.employers[p.employer].country or "unknown")
                _inc(rec.closed_category, p.category)
        for p in self._purge.pop(t, ()):
            del self._all[p.platform][p.id]
        hour = (t // 60) % 24
        for _ in range(self._poisson(self._rate[hour])):
            self._post(t, hour)

    def _post(self, t: int, hour: int) -> None:
        rng = self._rng
        # Platform, id and life come first: a warm-up project that closes before ``start`` is never seen (no
        # listing shows it, truth does not count it), so the rest of it is not drawn. The rule depends only on
        # ``start``, never on ``stop``, so the stream is the same however the warm-up is split.
        platform = PLATFORMS[min(bisect_right(self._platform_cum, rng.random() * self._platform_cum[-1]),
                                 len(PLATFORMS) - 1)]
        pid = self._next_id[platform]
        self._next_id[platform] += 1 + (int(rng.random() * 40) if platform == "freelancer" else 0)
        days = _pick(rng, BID_PERIODS[platform])
        period = days * 1440
        awarded = rng.random() < AWARD_SHARE[platform]
        closes = t + (60 + int((period - 120) * rng.random() ** 2) if awarded else period)
        if closes <= self.start_minute:
            return
        cum = self._country_cum[platform][hour]
        code = COUNTRIES[min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)][0]
        idxs, ecum = self._pool[(platform, code)]
        emp = self.employers[idxs[min(bisect_right(ecum, rng.random() * ecum[-1]), len(idxs) - 1)]]
        tpl = TEMPLATES[min(bisect_right(self._template_cum, rng.random() * self._template_cum[-1]),
                            len(TEMPLATES) - 1)]
        p = Project()
        p.platform = platform
        p.template = tpl
        p.employer = emp.idx
        p.id = pid
        p.bidperiod = days
        p.posted = t
        p.awarded = awarded
        p.closes = closes
        p.cipher = ""
        if platform == "upwork":
            while True:
                cipher = f"01{rng.getrandbits(64):016x}"
                if cipher not in self._ciphers:
                    self._ciphers.add(cipher)
                    p.cipher = cipher
                    break
        # text
        fields = {"n": rng.choice((5, 10, 20, 25, 50, 100, 200, 500)), "thing": rng.choice(_THINGS)}
        local = LOCAL_TITLES.get(code)
        if local and rng.random() < 0.4 and tpl.kind in ("data_entry", "web_research", "copy_paste"):
            title = rng.choice(local)
        else:
            title = rng.choice(tpl.titles)
        desc = rng.choice(tpl.descriptions)
        title, desc = title.format(**fields), desc.format(**fields)
        if rng.random() < 0.02:
            title = rng.choice(HOSTILE_TITLES)
        if rng.random() < 0.02:
            desc = rng.choice(HOSTILE_DESCRIPTIONS)
        p.title, p.description = title, desc
        p.fl_jobs = tuple(tpl.fl_jobs[: rng.randint(1, len(tpl.fl_jobs))])
        p.up_skills = tuple(tpl.up_skills[: rng.randint(1, len(tpl.up_skills))])
        p.seo_suffix = rng.random() < 0.3
        p.category = (FL_CATEGORIES[tpl.fl_category] if platform == "freelancer"
                      else tpl.up_category if platform == "upwork" else tpl.pph[1])
        # money
        size = rng.choice(tpl.sizes)
        p.type = "hourly" if rng.random() < HOURLY_SHARE[platform] else "fixed"
        p.has_budget = True
        p.hourly_hours = 0
        if platform == "freelancer":
            p.currency = emp.currency if rng.random() < 0.8 else "USD"
            if p.type == "fixed":
                p.bmin, p.bmax = FL_FIXED_TIERS[p.currency][_pick(rng, FL_FIXED_BY_SIZE[size])]
            else:
                p.bmin, p.bmax = FL_HOURLY_TIERS[p.currency][_pick(rng, FL_HOURLY_BY_SIZE[size])]
                p.hourly_hours = rng.choice((10, 20, 40))
        elif platform == "upwork":
            p.currency = "USD"
            if p.type == "fixed":
                p.bmin = p.bmax = rng.choice(UP_FIXED_BY_SIZE[size])
            else:
                u = rng.random()
                p.bmin, p.bmax = rng.choice(UP_HOURLY_BY_SIZE[size])
                if u < UPWORK_HOURLY_NO_RANGE:
                    p.has_budget = False
                    p.bmin = p.bmax = 0
                elif u < UPWORK_HOURLY_NO_RANGE + UPWORK_HOURLY_SINGLE:
                    p.bmax = p.bmin
        else:
            p.currency = emp.currency
            table = PPH_FIXED_BY_SIZE if p.type == "fixed" else PPH_HOURLY_BY_SIZE
            p.bmin = p.bmax = rng.choice(table[size])
        # Bids: N over the whole period, arriving front-loaded (the count after a share u of the period is
        # N * u ** (1/3)); the mean bid drifts from the first bid towards the project's final mean.
        p.n_bids = int(rng.expovariate(1.0 / (tpl.bids * BIDS_FACTOR[platform])))
        p.bid_first = p.bmin + (p.bmax - p.bmin) * rng.random()
        p.bid_mean = p.bmin + (p.bmax - p.bmin) * (0.3 + 0.6 * rng.random())
        p.final_bids = 0
        p.open = True
        p.closed_at = None
        self._open[platform][p.id] = p
        self._all[platform][p.id] = p
        self._closing.setdefault(p.closes, []).append(p)
        rec = self._record(platform, t)
        if rec is not None:
            rec.posted += 1
            _inc(rec.posted_country, emp.country or "unknown")
            _inc(rec.posted_category, p.category)
            if p.has_budget:
                row = rec.budget.setdefault((p.type, p.currency), [0, 0, 0])
                row[0] += 1
                row[1] += p.bmin
                row[2] += p.bmax
            else:
                rec.no_budget += 1

    # ------------------------------------------------------------------ reading
    def open_projects(self, platform: str) -> list[Project]:
        """Open projects of ``platform``, newest first (time posted desc, then id desc)."""
        _check_platform(platform)
        return list(reversed(self._open[platform].values()))

    def project(self, platform: str, project_id: int) -> Project | None:
        """An open or recently closed project, or None (never posted, or purged)."""
        _check_platform(platform)
        return self._all[platform].get(project_id)

    def employer(self, p: Project) -> Employer:
        """The employer who posted ``p``."""
        return self.employers[p.employer]

    def state(self) -> dict:
        """Clock and open projects per platform (for ``GET /_sim/state/freelance``)."""
        return {"now": iso(self.now_minute), "seed": self.seed, "scale": self.scale,
                "open_projects": {p: len(self._open[p]) for p in PLATFORMS}}

    def truth(self, platform: str | None = None, start: datetime | str | None = None,
              end: datetime | str | None = None) -> dict:
        """Ground truth per UTC hour for ticks after ``start`` up to now, for one platform or all of them;
        ``start`` inclusive and ``end`` exclusive bounds on the hour's start. Hours with no events are listed
        with zeros, so a missing hour is never mistaken for a quiet one."""
        if platform is not None:
            _check_platform(platform)
        first = self.start_minute // 60
        last = self.now_minute // 60 if self.now_minute > self.start_minute else first - 1
        lo = _to_minute(start) if start is not None else None
        hi = _to_minute(end) if end is not None else None
        hours = [h for h in range(first, last + 1)
                 if (lo is None or h * 60 >= lo) and (hi is None or h * 60 < hi)]

        def one(p: str) -> list[dict]:
            return [_hour_json(h, self._hours[p].get(h) or _FHour()) for h in hours]

        out: dict = {"seed": self.seed, "scale": self.scale, "start": iso(self.start_minute),
                     "now": iso(self.now_minute)}
        if platform is not None:
            out["platform"] = platform
            out["hours"] = one(platform)
        else:
            out["platforms"] = {p: one(p) for p in PLATFORMS}
        return out


def _hour_json(h: int, rec: _FHour) -> dict:
    budget: dict[str, dict[str, dict]] = {"fixed": {}, "hourly": {}}
    for (ptype, cur), (n, smin, smax) in sorted(rec.budget.items()):
        budget[ptype][cur] = {"projects": n, "minimum_sum": _money(smin), "maximum_sum": _money(smax)}
    return {
        "hour": iso(h * 60),
        "projects_posted": rec.posted,
        "projects_closed": rec.awarded + rec.expired,
        "projects_awarded": rec.awarded,
        "projects_expired": rec.expired,
        "posted_by_employer_country": dict(sorted(rec.posted_country.items())),
        "closed_by_employer_country": dict(sorted(rec.closed_country.items())),
        "posted_by_category": dict(sorted(rec.posted_category.items())),
        "closed_by_category": dict(sorted(rec.closed_category.items())),
        "budget_posted": budget,
        "posted_without_budget": rec.no_budget,
    }


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; one of {list(PLATFORMS)}")


def _pick(rng: random.Random, options: tuple) -> int:
    """Weighted choice over ((value, weight), ...)."""
    x = rng.random() * sum(w for _, w in options)
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def _home_currency(platform: str, country: str) -> str:
    """The currency an employer posts in: local where the platform supports it, else USD."""
    if platform == "upwork":
        return "USD"
    if platform == "peopleperhour":
        return "GBP" if country == "GB" else "EUR" if country in EURO else "USD"
    local = {"GB": "GBP", "IN": "INR", "AU": "AUD", "CA": "CAD"}
    return local.get(country, "EUR" if country in EURO else "USD")
