"""Write the freelance market in each platform's published format (standard library only).

Why separate from the model: the formats are what the parsers read, so they are kept in one place, written
field by field from the model (``simulator.freelance``), never from the project's parsers.

- Freelancer.com: ``GET /api/projects/0.1/projects/active/`` JSON, the layout of the saved 2021 API page
  (``projects``, the employers under ``users`` keyed by id, ``total_count``). Without ``job_details`` a
  project's ``jobs`` is null; without ``user_details`` ``users`` is null; without ``user_location_details`` a
  user's ``location`` is empty. These three rules are the simulator's reading of the API documentation, not
  something a saved page shows.
- Upwork job RSS (discontinued in 2024): RSS 2.0 as archived in 2021, titles and descriptions in CDATA, the
  description an HTML fragment ending in ``<b>Budget</b>`` / ``<b>Hourly Range</b>`` (or neither),
  ``<b>Posted On</b>``, ``<b>Category</b>``, ``<b>Skills</b>``, ``<b>Country</b>`` lines and a "click to
  apply" link, duplicated in ``content:encoded``.
- PeoplePerHour: no saved RSS or job page was available, so both are a model: an RSS 2.0 feed whose item
  descriptions (escaped HTML) show "Budget: £25" or "Budget: $15/hr", and a job page with stable classes
  (``job-title``, ``job-budget`` with ``data-currency`` / ``data-amount`` / ``data-type``, ``job-posted``
  with a ``<time datetime>``, ``job-proposals``, ``job-location`` "Location: United Kingdom",
  ``job-status``). Links point at the host the feed was requested from, so a crawler of the simulator
  follows them to the simulator; the path is PeoplePerHour's real one,
  ``/freelance-jobs/<category>/<sub-category>/<title-slug>-<id>``.

``layout_change`` (a fault) removes the pay fields: Freelancer projects lose ``budget``, the RSS items and
the PeoplePerHour page lose their budget lines, so field-coverage monitors can be seen to fire.
"""

from __future__ import annotations

import hashlib
import html
from datetime import UTC, datetime
from urllib.parse import quote_plus

from simulator.freelance import (
    COUNTRIES,
    COUNTRY_NAME,
    CURRENCIES,
    FL_CATEGORIES,
    FL_JOBS,
    FreelanceMarket,
    Project,
    ascii_words,
    long_date,
    rfc822,
)

FREELANCER_MAX_LIMIT = 100
FREELANCER_DEFAULT_LIMIT = 10
RSS_MAX_ITEMS = 100
UPWORK_DEFAULT_ITEMS = 10
PPH_PAGE_SIZE = 50
_COUNTRY = {c[0]: c for c in COUNTRIES}
_UPWORK_DROP = {"a", "an", "to"}
_REPUTATION_KEYS = ("overall", "on_budget", "on_time", "positive")
_RATING_KEYS = ("quality", "communication", "expertise", "professionalism", "hire_again")


def esc(text: str) -> str:
    """HTML-escape as the platforms do (apostrophes as ``&#039;``)."""
    return html.escape(text, quote=True).replace("&#x27;", "&#039;")


def cdata(text: str) -> str:
    """A CDATA section; a ``]]>`` inside the text is split across two sections, as XML requires."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _amount(n: int) -> str:
    return f"{n:,}"


# ---------------------------------------------------------------------------------------------- Freelancer
def _currency(code: str, full: bool = True) -> dict:
    cid, c, sign, name, rate, country = CURRENCIES[code]
    out = {"id": cid, "code": c, "sign": sign, "name": name, "exchange_rate": rate, "country": country}
    if full:
        out |= {"is_external": False, "is_escrowcom_supported": code == "USD"}
    return out


def _upgrades() -> dict:
    return {
        "featured": False,
        "sealed": False,
        "nonpublic": False,
        "fulltime": False,
        "urgent": False,
        "qualified": False,
        "NDA": False,
        "assisted": False,
        "active_prepaid_milestone": {},
        "ip_contract": False,
        "non_compete": False,
        "project_management": False,
        "pf_only": False,
        "recruiter": False,
        "listed": True,
    }


def freelancer_project(m: FreelanceMarket, p: Project, job_details: bool, layout_change: bool) -> dict:
    """One project of the active-projects API, in the saved page's field order."""
    ts = p.posted * 60
    jobs = [FL_JOBS[j] for j in p.fl_jobs]
    words = ascii_words(p.title) or ["project"]
    seo = f"{jobs[0][2]}/{'-'.join(words)}" + (f"-{p.id}" if p.seo_suffix else "")
    preview = p.description if len(p.description) <= 100 else p.description[:100].rsplit(" ", 1)[0]
    now = m.now_minute
    out: dict = {
        "id": p.id,
        "owner_id": m.employer(p).id,
        "title": p.title,
        "status": "active" if p.open else "closed",
        "seo_url": seo,
        "currency": _currency(p.currency),
        "description": p.description,
        "jobs": [
            {
                "id": jid,
                "name": name,
                "category": {"id": cat, "name": FL_CATEGORIES[cat]},
                "seo_url": jseo,
                "local": False,
            }
            for jid, name, jseo, cat in jobs
        ]
        if job_details
        else None,
        "submitdate": ts,
        "preview_description": preview,
        "deleted": False,
        "nonpublic": False,
        "hidebids": False,
        "type": p.type,
        "bidperiod": p.bidperiod,
        "budget": {"minimum": p.bmin, "maximum": p.bmax},
    }
    if p.type == "hourly":
        out["hourly_project_info"] = {
            "commitment": {"hours": p.hourly_hours, "interval": "week"},
            "duration_enum": "unspecified",
        }
    if layout_change:
        del out["budget"]
    out |= {
        "featured": False,
        "urgent": False,
        "assisted": False,
        "active_prepaid_milestone": {},
        "bid_stats": {"bid_count": p.bids_at(now), "bid_avg": p.bid_avg_at(now)},
        "time_submitted": ts,
        "time_updated": ts,
        "upgrades": _upgrades(),
        "language": "en",
        "hireme": False,
        "frontend_project_status": "open" if p.open else "closed",
        "location": {"country": {}},
        "local": False,
        "negotiated": False,
        "time_free_bids_expire": ts - 3600,
        "pool_ids": [1],
        "enterprise_ids": [],
        "is_escrow_project": False,
        "is_seller_kyc_required": False,
        "is_buyer_kyc_required": False,
        "project_reject_reason": {},
    }
    return out


def _reputation(uid: int) -> dict:
    def block() -> dict:
        return {
            **{k: 0 for k in _REPUTATION_KEYS},
            "category_ratings": {k: 0 for k in _RATING_KEYS},
            "all": 0,
            "reviews": 0,
            "incomplete_reviews": 0,
            "complete": 0,
            "incomplete": 0,
            "completion_rate": 0,
            "user_id": uid,
        }

    return {
        "entire_history": block(),
        "last3months": block(),
        "last12months": block(),
        "user_id": uid,
        "role": "freelancer",
        "earnings_score": 0,
        "job_history": {"count_other": 0, "job_counts": []},
    }


def freelancer_user(m: FreelanceMarket, emp_idx: int, location: bool) -> dict:
    """One employer of the ``users`` map, in the saved page's field order."""
    e = m.employers[emp_idx]
    code, name, _w, off, tz, _cities, flag = _COUNTRY[e.country]
    lc = code.lower()
    loc: dict = {}
    if location:
        loc = {
            "country": {
                "name": name,
                "flag_url": f"/img/flags/png/{lc}.png",
                "code": lc,
                "highres_flag_url": f"/img/flags/highres_png/{flag}.png",
                "flag_url_cdn": f"//cdn2.f-cdn.com/img/flags/png/{lc}.png",
                "highres_flag_url_cdn": f"//cdn5.f-cdn.com/img/flags/highres_png/{flag}.png",
            }
        }
        if e.city:
            loc["city"] = e.city
    v = e.verified
    out: dict = {
        "id": e.id,
        "username": e.username,
        "closed": False,
        "avatar": "/img/unknown.png",
        "reputation": _reputation(e.id),
        "jobs": [],
        "profile_description": "",
        "registration_date": e.registered,
        "limited_account": False,
        "display_name": e.display_name,
        "location": loc,
        "avatar_large": "/img/unknown.png",
        "role": "employer",
        "chosen_role": "employer",
        "status": {
            "payment_verified": v,
            "email_verified": True,
            "deposit_made": v,
            "profile_complete": v,
            "phone_verified": v,
            "identity_verified": False,
            "facebook_connected": False,
            "freelancer_verified_user": False,
            "linkedin_connected": False,
        },
        "avatar_cdn": "//cdn6.f-cdn.com/img/unknown.png",
        "avatar_large_cdn": "//cdn6.f-cdn.com/img/unknown.png",
        "primary_currency": _currency(e.currency, full=False),
        "qualifications": [],
        "primary_language": "en",
        "cover_image": {
            "current_image": {
                "url": "//cdn2.f-cdn.com/static/img/profiles/cover-product.jpg",
                "description": "",
                "width": 1920,
                "height": 550,
                "context": {"id": e.id, "type": "user_profile"},
            }
        },
        "portfolio_count": 0,
        "preferred_freelancer": False,
        "public_name": e.public_name,
        "company": e.company or "",
        "recommendations": 0,
        "pool_ids": [],
        "enterprise_ids": [],
        "escrowcom_interaction_required": False,
        "timezone": {"id": tz[0], "country": tz[1], "timezone": tz[2], "offset": off},
        "responsiveness": 2,
        "oauth_password_credentials_allowed": False,
        "registration_completed": True,
        "is_profile_visible": True,
    }
    return out


def freelancer_active(
    m: FreelanceMarket,
    limit: int,
    offset: int,
    job_details: bool,
    user_details: bool,
    user_location_details: bool,
    layout_change: bool = False,
) -> dict:
    """One page of ``/api/projects/0.1/projects/active/``: newest first (time submitted desc, id desc)."""
    limit = max(1, min(int(limit), FREELANCER_MAX_LIMIT))
    offset = max(0, int(offset))
    projects = m.open_projects("freelancer")
    chunk = projects[offset : offset + limit]
    users = None
    if user_details:
        users = {}
        for p in chunk:
            e = m.employer(p)
            users.setdefault(str(e.id), freelancer_user(m, e.idx, user_location_details))
    request_id = hashlib.md5(
        f"{m.seed}:{m.now_minute}:{limit}:{offset}".encode(),  # noqa: S324 - an id
        usedforsecurity=False,
    ).hexdigest()
    return {
        "status": "success",
        "result": {
            "projects": [freelancer_project(m, p, job_details, layout_change) for p in chunk],
            "users": users,
            "total_count": len(projects),
            "selected_bids": None,
        },
        "request_id": request_id,
    }


# ---------------------------------------------------------------------------------------------- Upwork RSS
def upwork_link(p: Project) -> str:
    """``https://www.upwork.com/jobs/<Title-words>_%7E<ciphertext>?source=rss``."""
    words = [w for w in ascii_words(p.title) if w.lower() not in _UPWORK_DROP] or ["Job"]
    return f"https://www.upwork.com/jobs/{'-'.join(words)}_%7E{p.cipher}?source=rss"


def upwork_budget_line(p: Project) -> str:
    """The pay line of an item's description, or "" when the job shows none."""
    if not p.has_budget:
        return ""
    if p.type == "fixed":
        return f"<b>Budget</b>: ${_amount(p.bmin)}\n"
    rng = f"${p.bmin:,}.00" if p.bmin == p.bmax else f"${p.bmin:,}.00-${p.bmax:,}.00"
    return f"<b>Hourly Range</b>: {rng}\n\n"


def upwork_description(m: FreelanceMarket, p: Project, layout_change: bool) -> str:
    """The HTML fragment Upwork put in ``description`` and ``content:encoded``."""
    link = upwork_link(p)
    body = esc(p.description).replace("\n", "<br />\n")
    budget = "" if layout_change else upwork_budget_line(p)
    parts = [f"{body}<br /><br />"]
    if budget:
        parts.append(budget + "<br />")
    parts.append(f"<b>Posted On</b>: {long_date(p.posted * 60)}<br /><b>Category</b>: {esc(p.category)}")
    if p.up_skills:
        parts.append("<br /><b>Skills</b>:" + ",     ".join(esc(s) for s in p.up_skills) + "    \n")
    else:
        parts.append("\n")
    country = m.employer(p).country
    if country:
        parts.append(f"<br /><b>Country</b>: {esc(COUNTRY_NAME[country])}\n")
    parts.append(f'<br /><a href="{esc(link)}">click to apply</a>\n')
    return "".join(parts)


def upwork_rss(
    m: FreelanceMarket,
    q: str = "",
    start: int = 0,
    count: int = UPWORK_DEFAULT_ITEMS,
    layout_change: bool = False,
) -> str:
    """The job feed: open jobs matching every word of ``q`` (title, description, skills), newest first."""
    start, count = max(0, int(start)), max(1, min(int(count), RSS_MAX_ITEMS))
    words = [w.lower() for w in q.split()]
    jobs = []
    for p in m.open_projects("upwork"):
        hay = " ".join((p.title, p.description, " ".join(p.up_skills), p.category)).lower()
        if all(w in hay for w in words):
            jobs.append(p)
    chunk = jobs[start : start + count]
    now = m.now_minute * 60
    label = f"All {q.strip()} jobs | upwork.com" if q.strip() else "All jobs | upwork.com"
    feed_link = (
        f"https://www.upwork.com/ab/feed/jobs/rss?paging={start}%3B{count}&amp;q={quote_plus(q)}"
        "&amp;sort=recency"
    )
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0"><channel>',
        f"<title>{cdata(label)}</title><link>{cdata(feed_link)}</link>",
        f"<description>{cdata('All jobs as of ' + long_date(now))}</description>",
        f"<language>en-us</language><pubDate>{rfc822(now)}</pubDate>",
        f"<copyright>© 2003-{datetime.fromtimestamp(now, UTC).year} Upwork Corporation</copyright>",
        "<docs>http://blogs.law.harvard.edu/tech/rss</docs><generator>Upwork Corporation</generator>",
        "<managingEditor>rss@upwork.com (Upwork Corporation)</managingEditor>",
        f"<image><url>https://www.upwork.com/images/rss_logo.png</url><title>{cdata(label)}</title>"
        f"<link>{cdata(feed_link)}</link></image>",
    ]
    for p in chunk:
        link = upwork_link(p)
        desc = upwork_description(m, p, layout_change)
        out.append(
            f"<item><title>{cdata(p.title + ' - Upwork')}</title><link>{esc(link)}</link>"
            f"<description>{cdata(desc)}</description><content:encoded>{cdata(desc)}</content:encoded>"
            f"<pubDate>{rfc822(p.posted * 60)}</pubDate><guid>{esc(link)}</guid></item>"
        )
    out.append("</channel></rss>\n")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- PeoplePerHour
def _slug(text: str) -> str:
    return "-".join(w.lower() for w in ascii_words(text)) or "job"


def pph_path(p: Project) -> str:
    """``/freelance-jobs/<category>/<sub-category>/<title-slug>-<id>``."""
    top, sub = p.template.pph
    return f"/freelance-jobs/{_slug(top)}/{_slug(sub)}/{_slug(p.title)}-{p.id}"


def pph_price(p: Project) -> str:
    """The price as PeoplePerHour shows it: "£25", "$1,000", "€15/hr"."""
    sign = CURRENCIES[p.currency][2]
    return f"{sign}{_amount(p.bmin)}" + ("/hr" if p.type == "hourly" else "")


def pph_rss(m: FreelanceMarket, base_url: str, page: int = 1, layout_change: bool = False) -> str:
    """The latest-jobs feed (a model): open jobs, newest first, ``PPH_PAGE_SIZE`` a page."""
    page = max(1, int(page))
    jobs = m.open_projects("peopleperhour")[(page - 1) * PPH_PAGE_SIZE : page * PPH_PAGE_SIZE]
    now = m.now_minute * 60
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
        "<title>PeoplePerHour: latest freelance jobs</title>",
        f"<link>{esc(base_url)}/freelance-jobs</link>",
        "<description>The latest jobs posted by buyers on PeoplePerHour</description>",
        f'<atom:link href="{esc(base_url)}/rss/jobs?page={page}" rel="self" type="application/rss+xml" />',
        f"<language>en-gb</language><lastBuildDate>{rfc822(now)}</lastBuildDate>",
    ]
    for p in jobs:
        link = base_url + pph_path(p)
        body = f"<p>{esc(p.description)}</p>"
        if not layout_change:
            body += f"<p>Budget: {esc(pph_price(p))}</p>"
        e = m.employer(p)
        body += f"<p>Posted by {esc(e.display_name)}, {esc(COUNTRY_NAME[e.country])}</p>"
        out.append(
            f"<item><title>{esc(p.title)}</title><link>{esc(link)}</link>"
            f'<guid isPermaLink="true">{esc(link)}</guid><description>{esc(body)}</description>'
            f"<category>{esc(p.category)}</category><pubDate>{rfc822(p.posted * 60)}</pubDate></item>"
        )
    out.append("</channel></rss>\n")
    return "\n".join(out)


def _ago(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)} ago"
    if minutes < 1440:
        h = minutes // 60
        return f"{h} hour{'s' * (h != 1)} ago"
    d = minutes // 1440
    return f"{d} day{'s' * (d != 1)} ago"


def pph_job_page(m: FreelanceMarket, p: Project, base_url: str, layout_change: bool = False) -> str:
    """A job page (a model of PeoplePerHour's; see the module docstring)."""
    now = m.now_minute
    e = m.employer(p)
    top, sub = p.template.pph
    posted = iso_seconds(p.posted * 60)
    status = "Open" if p.open else "Closed"
    if p.open:
        left = max(0, p.posted + p.bidperiod * 1440 - now) // 1440
        ends = f'<li class="job-expires">Ends in <span class="value">{left} days</span></li>'
    else:
        ends = f'<li class="job-closed">Closed <time datetime="{iso_seconds(p.closed_at * 60)}"></time></li>'
    budget = ""
    if not layout_change:
        kind = "Per hour" if p.type == "hourly" else "Fixed price"
        budget = (
            f'<div class="job-budget"><span class="budget-amount" data-currency="{p.currency}" '
            f'data-amount="{p.bmin}" data-type="{p.type}">{esc(pph_price(p))}</span> '
            f'<span class="budget-type">{kind}</span></div>'
        )
    canonical = base_url + pph_path(p)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{esc(p.title)} | Freelance Job | PeoplePerHour</title>
<link rel="canonical" href="{esc(canonical)}">
</head>
<body>
<main class="job-page" data-job-id="{p.id}">
<nav class="breadcrumbs"><a href="/freelance-jobs">Freelance jobs</a> &rsaquo;
<a href="/freelance-jobs/{_slug(top)}">{esc(top)}</a> &rsaquo;
<a class="job-category" href="/freelance-jobs/{_slug(top)}/{_slug(sub)}">{esc(sub)}</a></nav>
<article class="job">
<h1 class="job-title">{esc(p.title)}</h1>
{budget}
<ul class="job-meta">
<li class="job-posted">Posted <time datetime="{posted}">{_ago(now - p.posted)}</time></li>
<li class="job-proposals">Proposals <span class="value">{p.bids_at(now)}</span></li>
<li class="job-location">Location: <span class="value">{esc(COUNTRY_NAME[e.country])}</span></li>
<li class="job-status">Status: <span class="value">{status}</span></li>
{ends}
<li class="job-id">Job ID: <span class="value">{p.id}</span></li>
</ul>
<section class="job-description"><h2>Description</h2><p>{esc(p.description)}</p></section>
<aside class="buyer"><h2>About the buyer</h2><span class="buyer-name">{esc(e.display_name)}</span>
<span class="buyer-country">{esc(COUNTRY_NAME[e.country])}</span></aside>
</article>
</main>
</body>
</html>
"""


def iso_seconds(ts: int) -> str:
    """ISO 8601 UTC of an epoch second."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def malform(text: str) -> str:
    """Break a markup document the way broken servers and proxies do: closing tags of the first items go
    missing, and the body stops two thirds of the way in. No XML or strict HTML parser accepts the result."""
    for tag in ("</item>", "</li>", "</description>", "</h1>"):
        text = text.replace(tag, "", 3)
    return text[: len(text) * 2 // 3]
