"""Demo data for `flask seed`: idempotent, realistic, and fast enough for large runs."""

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select

from kijani.auth.models import User
from kijani.auth.passwords import hash_password
from kijani.common.models import utcnow
from kijani.events.models import Category, Event, EventTag
from kijani.extensions import db

DEMO_PASSWORD = "kijani-demo-2026"

DEMO_USERS = [
    ("admin@kijani.example", "admin", "admin", "Kijani Admin"),
    ("wanjiru@kijani.example", "wanjiru", "organizer", "Wanjiru Kamau (Nairobi Python)"),
    ("kwame@kijani.example", "kwame", "organizer", "Kwame Mensah (Accra Makers)"),
    ("aisha@kijani.example", "aisha", "organizer", "Aisha Bello (Lagos Women in Tech)"),
    ("tendai@kijani.example", "tendai", "attendee", "Tendai Moyo"),
    ("fatuma@kijani.example", "fatuma", "attendee", "Fatuma Hassan"),
    ("kofi@kijani.example", "kofi", "attendee", "Kofi Asante"),
    ("zawadi@kijani.example", "zawadi", "attendee", "Zawadi Njeri"),
]


def seed_users():
    """Create the demo users that do not exist yet; return how many were created."""
    existing = set(db.session.scalars(select(User.username)))
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: seeding stays fast
    created = 0
    for email, username, role, display_name in DEMO_USERS:
        if username in existing:
            continue
        db.session.add(User(email=email, username=username, role=role, display_name=display_name,
                            password_hash=password_hash, email_verified=True))
        created += 1
    db.session.commit()
    return created


# --- events ---------------------------------------------------------------------------

#: deterministic ids make event seeding idempotent: a second run finds them and skips
SEED_NAMESPACE = uuid.UUID("5b3f0d6e-9c41-4f7a-8a2e-6d1c0b9e7f25")

DEMO_CATEGORIES = [
    ("tech", "Tech & Startups", "Meetups, talks and demos for developers, designers and founders."),
    ("workshops", "Workshops & Classes", "Hands-on sessions: learn a skill in an afternoon."),
    ("hackathons", "Hackathons", "Build something in a weekend with a team you just met."),
    ("books", "Books & Writing", "Book clubs, readings, poetry and open mics."),
    ("sports", "Sports & Fitness", "Football, running, yoga and anything that gets you moving."),
    ("markets", "Markets & Food", "Farmers' markets, craft fairs and street food."),
    ("music", "Music & Arts", "Concerts, dance classes, exhibitions and film nights."),
    ("community", "Community & Volunteering", "Clean-ups, tree planting and neighbourhood projects."),
    ("business", "Business & Careers", "Pitch nights, networking and career fairs."),
    ("health", "Health & Wellness", "Health screenings, support circles and wellbeing."),
]

#: city -> (IANA timezone, venues)
CITIES = {
    "Nairobi": ("Africa/Nairobi", ["iHub, Senteu Plaza, Kilimani", "Nairobi Garage, Westlands",
                                   "Kenyatta International Convention Centre", "Karura Forest, Limuru Road",
                                   "Alliance Française, Loita Street", "Nyayo National Stadium"]),
    "Lagos": ("Africa/Lagos", ["Co-Creation Hub, Yaba", "Freedom Park, Lagos Island",
                               "Terra Kulture, Victoria Island", "Teslim Balogun Stadium, Surulere",
                               "Landmark Centre, Victoria Island"]),
    "Accra": ("Africa/Accra", ["Impact Hub, Osu", "Accra Sports Stadium", "Labadi Beach",
                               "Nubuke Foundation, East Legon", "Makola Market"]),
    "Kampala": ("Africa/Kampala", ["Outbox Hub, Kanjokya Street", "Uganda National Theatre",
                                   "Kololo Independence Grounds", "Makerere University Main Hall"]),
    "Kigali": ("Africa/Kigali", ["kLab, Kigali Heights", "Kigali Convention Centre", "Amahoro Stadium",
                                 "Norrsken House, Kiyovu", "Kimironko Market"]),
    "Cape Town": ("Africa/Johannesburg", ["Workshop17, V&A Waterfront", "Company's Garden",
                                          "Old Biscuit Mill, Woodstock", "The Book Lounge, Roeland Street",
                                          "Green Point Park"]),
    "Addis Ababa": ("Africa/Addis_Ababa", ["iceaddis, Arat Kilo", "Meskel Square",
                                           "National Theatre, Churchill Avenue", "Addis Ababa Stadium"]),
    "Dar es Salaam": ("Africa/Dar_es_Salaam", ["Buni Hub, COSTECH, Kijitonyama", "Coco Beach, Msasani",
                                               "Nafasi Art Space, Mikocheni", "Kariakoo Market"]),
    "Mombasa": ("Africa/Nairobi", ["Swahilipot Hub, Mombasa Old Town", "Fort Jesus", "Nyali Beach"]),
    "Kisumu": ("Africa/Nairobi", ["LakeHub, Kisumu", "Dunga Beach", "Jomo Kenyatta Sports Ground"]),
    "Abuja": ("Africa/Lagos", ["Ventures Park, Maitama", "Millennium Park", "Transcorp Hilton"]),
    "Kumasi": ("Africa/Accra", ["Kumasi Cultural Centre", "Kejetia Market", "Baba Yara Stadium"]),
    "Johannesburg": ("Africa/Johannesburg", ["Tshimologong Precinct, Braamfontein",
                                             "Constitution Hill", "Maboneng Precinct"]),
    "Dakar": ("Africa/Dakar", ["Jokkolabs, Sacré-Cœur", "Institut Français, Plateau", "Plage de Yoff"]),
    "Lusaka": ("Africa/Lusaka", ["BongoHive, Thabo Mbeki Road", "Lusaka Showgrounds"]),
    "Harare": ("Africa/Harare", ["Harare Gardens", "Pakati Hub, Avondale"]),
}

#: (category, title, description, tags, capacity range, usual local start hours, hours long)
EVENT_TEMPLATES = [
    ("tech", "{city} Python Meetup", "Monthly talks from local Pythonistas, then open discussion. "
     "This month: async code, data pipelines and a beginners' corner.", ["python", "programming"],
     (40, 150), (18,), 3),
    ("tech", "{city} JavaScript Night", "Lightning talks on React, Node and the web platform, "
     "followed by networking.", ["javascript", "web"], (30, 120), (18, 19), 3),
    ("tech", "Women in Tech {city}: Lightning Talks", "Five-minute talks by women engineers, designers "
     "and founders. Everyone welcome.", ["women-in-tech", "talks"], (50, 200), (17, 18), 3),
    ("tech", "Data Science {city}", "Machine learning in practice: crop yield models, mobile money "
     "fraud detection and Swahili NLP.", ["data-science", "machine-learning"], (40, 120), (18,), 3),
    ("tech", "Flutter & Mobile Devs {city}", "Build offline-first mobile apps for low-bandwidth "
     "networks. Bring a laptop.", ["flutter", "mobile"], (25, 80), (10, 14), 4),
    ("workshops", "Intro to Django Workshop", "Build and deploy your first web app in one afternoon. "
     "No experience needed; laptops required.", ["python", "django", "beginners"], (15, 40), (9, 13), 5),
    ("workshops", "Photography Basics Workshop", "Composition, light and editing on your phone, "
     "with a photo walk through the neighbourhood.", ["photography", "beginners"], (10, 25), (9, 14), 4),
    ("workshops", "Beekeeping for Beginners", "Hives, harvesting and honey: a practical morning "
     "with local beekeepers.", ["farming", "beekeeping"], (10, 30), (8, 9), 4),
    ("workshops", "Kitenge Fashion Design Class", "Design and sew your own kitenge top. Fabric and "
     "machines provided.", ["fashion", "sewing"], (8, 20), (10, 14), 4),
    ("hackathons", "Climate Hackathon {city}", "48 hours to build tools for climate adaptation: "
     "water, farming and clean energy. Mentors and prizes.", ["hackathon", "climate", "open-data"],
     (60, 250), (9,), 48),
    ("hackathons", "FinTech Hackathon {city}", "Build on mobile money APIs with a team. Food, "
     "mentors and demo day included.", ["hackathon", "fintech", "mobile-money"], (50, 200), (9,), 36),
    ("books", "Book Club: Things Fall Apart", "We discuss Chinua Achebe's classic. New members "
     "welcome, tea provided.", ["book-club", "literature"], (10, 30), (17, 18), 2),
    ("books", "Book Club: Half of a Yellow Sun", "Chimamanda Ngozi Adichie's novel of the Biafran "
     "war. Come having read at least the first part.", ["book-club", "literature"], (10, 30), (17,), 2),
    ("books", "Book Club: Petals of Blood", "Ngũgĩ wa Thiong'o's novel, and what it says about "
     "today's cities.", ["book-club", "literature"], (10, 25), (18,), 2),
    ("books", "Poetry Open Mic", "Spoken word in English, Swahili, Yoruba, Amharic and more. Sign up "
     "at the door to perform.", ["poetry", "open-mic"], (40, 120), (19,), 3),
    ("sports", "Sunday Five-a-Side Football", "Friendly five-a-side games, teams mixed on the day. "
     "Bring water and boots.", ["football", "outdoors"], (20, 60), (8, 9, 16), 2),
    ("sports", "Community Football League Matchday", "League fixtures between neighbourhood teams; "
     "spectators welcome.", ["football", "league"], (100, 800), (15,), 3),
    ("sports", "Morning Run Club", "Easy-paced 5 km and 10 km groups. All levels, no one left "
     "behind.", ["running", "outdoors", "fitness"], (30, 100), (6, 7), 2),
    ("sports", "Yoga in the Park", "A gentle outdoor session for all levels. Bring a mat or a "
     "kanga.", ["yoga", "wellness", "outdoors"], (20, 60), (7, 8), 1),
    ("markets", "Farmers' Market", "Fresh produce straight from local farms: vegetables, honey, "
     "coffee and cheese.", ["market", "food", "farming"], (200, 1500), (8, 9), 6),
    ("markets", "Makers & Crafts Market", "Beadwork, baskets, leather and prints from local makers.",
     ["market", "crafts"], (200, 1000), (10,), 7),
    ("markets", "Street Food Festival", "Suya, nyama choma, jollof, injera and more, with live music.",
     ["food", "festival", "music"], (300, 2000), (12, 15), 8),
    ("music", "Afrobeats Dance Class", "Learn the moves with professional dancers. No partner "
     "needed.", ["dance", "afrobeats"], (20, 50), (18, 19), 2),
    ("music", "Jazz Evening", "Live jazz from local bands in an intimate setting.", ["music", "jazz"],
     (50, 200), (19, 20), 3),
    ("music", "African Film Night", "A screening of award-winning African short films, then a Q&A "
     "with the directors.", ["film", "cinema"], (40, 150), (19,), 3),
    ("community", "Beach Clean-up", "Gloves and bags provided; we sort what we collect for "
     "recycling.", ["volunteering", "environment", "outdoors"], (30, 200), (7, 8), 3),
    ("community", "Tree Planting Day", "We plant indigenous trees with the local residents' "
     "association. Seedlings provided.", ["volunteering", "environment", "trees"], (30, 300), (8,), 4),
    ("business", "Startup Pitch Night", "Ten early-stage startups pitch to investors and the "
     "audience votes.", ["startups", "pitch", "investors"], (60, 200), (18,), 3),
    ("business", "Freelancers' Breakfast", "Meet other freelancers over breakfast: clients, pricing "
     "and getting paid on time.", ["freelancing", "networking"], (15, 40), (8,), 2),
    ("business", "Career Fair for Graduates", "Employers from tech, banking and NGOs meet new "
     "graduates. Bring printed CVs.", ["careers", "jobs", "graduates"], (200, 1000), (9,), 6),
    ("health", "Mental Health Peer Support Circle", "A confidential, facilitated peer support "
     "session.", ["mental-health", "support"], (8, 20), (17, 18), 2),
    ("health", "Free Health Screening Day", "Blood pressure, blood sugar and eye tests by "
     "volunteer nurses.", ["health", "screening", "volunteering"], (100, 500), (9,), 6),
]

EXTRA_SENTENCES = [
    "Everyone welcome, no experience needed.",
    "Light refreshments provided.",
    "Sessions in English, with Swahili and French spoken too.",
    "Arrive ten minutes early for registration at the gate.",
    "Wheelchair accessible venue.",
    "Children welcome with an adult.",
    "Parking is limited: come by matatu, boda or on foot if you can.",
    "Photos will be taken; tell the team if you prefer not to appear.",
    "Bring your ticket code on your phone for check-in.",
]

#: demo events: (template index, city, venue index, days from today, local hour, organizer)
DEMO_EVENTS = [
    (0, "Nairobi", 0, 6, 18, "wanjiru"), (5, "Nairobi", 1, 12, 9, "wanjiru"),
    (17, "Nairobi", 3, 3, 6, "wanjiru"), (14, "Nairobi", 4, 20, 19, "wanjiru"),
    (9, "Nairobi", 2, 45, 9, "wanjiru"), (2, "Lagos", 0, 9, 17, "aisha"),
    (12, "Lagos", 2, 16, 17, "aisha"), (21, "Lagos", 1, 30, 12, "aisha"),
    (10, "Lagos", 4, 60, 9, "aisha"), (22, "Lagos", 2, 8, 19, "aisha"),
    (15, "Accra", 1, 4, 8, "kwame"), (1, "Accra", 0, 11, 18, "kwame"),
    (25, "Accra", 2, 25, 7, "kwame"), (19, "Accra", 4, 14, 8, "kwame"),
    (3, "Kampala", 0, 10, 18, "wanjiru"), (16, "Kampala", 2, 22, 15, "wanjiru"),
    (24, "Kampala", 1, 35, 19, "wanjiru"), (4, "Kigali", 0, 13, 10, "kwame"),
    (27, "Kigali", 3, 18, 18, "kwame"), (26, "Kigali", 4, 40, 8, "kwame"),
    (13, "Cape Town", 4, 7, 18, "admin"), (18, "Cape Town", 4, 5, 7, "admin"),
    (20, "Cape Town", 2, 27, 10, "admin"), (29, "Addis Ababa", 0, 21, 9, "wanjiru"),
    (23, "Addis Ababa", 2, 15, 19, "wanjiru"), (31, "Addis Ababa", 1, 50, 9, "wanjiru"),
    (11, "Dar es Salaam", 0, 19, 17, "aisha"), (28, "Dar es Salaam", 0, 23, 8, "aisha"),
    (25, "Dar es Salaam", 1, 33, 7, "aisha"), (30, "Nairobi", 0, 28, 17, "wanjiru"),
]
#: a weekly series: the Saturday run club in Karura Forest, eight weeks
DEMO_SERIES = (17, "Nairobi", 3, 7, "wanjiru", 8)

BULK_CHUNK = 5000
BULK_ORGANIZERS_PER_CITY = 2


def seed_categories():
    """Create the demo categories that do not exist yet; return how many were created."""
    existing = set(db.session.scalars(select(Category.slug)))
    missing = [Category(slug=slug, name=name, description=description)
               for slug, name, description in DEMO_CATEGORIES if slug not in existing]
    db.session.add_all(missing)
    db.session.commit()
    return len(missing)


def seed_events():
    """Create the demo events (and one weekly series) that do not exist yet; return how many."""
    organizers = dict(db.session.execute(select(User.username, User.id)).all())
    categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
    today = utcnow().date()
    rows, tags = [], []
    for number, (template, city, venue, days, hour, organizer) in enumerate(DEMO_EVENTS):
        start = _local_start(CITIES[city][0], today + timedelta(days=days), hour, 0)
        _add_event(rows, tags, _seed_id("demo", number), template, city, venue, start,
                   organizers[organizer], categories)
    template, city, venue, days, organizer, weeks = DEMO_SERIES
    series_id = _seed_id("demo-series", 0)
    first_saturday = today + timedelta(days=days + (5 - (today + timedelta(days=days)).weekday()) % 7)
    for week in range(weeks):
        start = _local_start(CITIES[city][0], first_saturday + timedelta(weeks=week), 7, 0)
        _add_event(rows, tags, _seed_id("demo-series", week + 1), template, city, venue, start,
                   organizers[organizer], categories, series_id=series_id)
    return _insert_missing(rows, tags)


def seed_bulk_events(count, on_progress=lambda done: None):
    """Make sure `count` generated events exist (deterministic ids); return how many were created.

    Events spread from six months ago to eighteen months ahead, over every city, category
    and template, and a few dozen organizers. Inserted in chunks with executemany.
    """
    organizer_ids = _bulk_organizers()
    categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
    now = utcnow()
    created = 0
    for first in range(0, count, BULK_CHUNK):
        numbers = range(first, min(first + BULK_CHUNK, count))
        ids = [_seed_id("bulk", number) for number in numbers]
        if _count_existing(ids) == len(ids):  # a rerun: nothing to generate for this chunk
            on_progress(len(numbers))
            continue
        rng = random.Random(first)  # same chunk, same events: reruns only fill gaps
        rows, tags = [], []
        for number in numbers:
            template = rng.randrange(len(EVENT_TEMPLATES))
            city = rng.choice(CITY_NAMES)
            zone, venues = CITIES[city]
            day = (now + timedelta(days=rng.uniform(-180, 550))).date()
            start = _local_start(zone, day, rng.choice(EVENT_TEMPLATES[template][5]), rng.choice((0, 0, 30)))
            _add_event(rows, tags, ids[number - first], template, city, rng.randrange(len(venues)),
                       start, rng.choice(organizer_ids), categories, rng=rng, now=now)
        created += _insert_missing(rows, tags)
        on_progress(len(numbers))
    return created


CITY_NAMES = list(CITIES)


def _seed_id(kind, number):
    return uuid.uuid5(SEED_NAMESPACE, f"{kind}:{number}")


def _local_start(zone, day, hour, minute):
    """The UTC instant of `hour:minute` local time on `day` in `zone`."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _add_event(rows, tags, event_id, template, city, venue, start, organizer_id, categories,
               series_id=None, rng=None, now=None):
    """Append one event row (and its tag rows) built from a template; `rng` varies the details."""
    category, title, description, template_tags, capacity_range, _, hours = EVENT_TEMPLATES[template]
    zone, venues = CITIES[city]
    capacity = capacity_range[0]
    status = "published"
    # Announced some time before it starts, and never in the future.
    created_at = min(start, now or utcnow()) - timedelta(days=14, hours=len(rows))
    event_tags = list(template_tags)
    if rng is not None:
        capacity = rng.randint(*capacity_range)
        status = rng.choices(("published", "draft", "cancelled"), weights=(92, 4, 4))[0]
        description = f"{description} {rng.choice(EXTRA_SENTENCES)}"
        created_at = min(start, now) - timedelta(days=rng.uniform(1 / 24, 90))
        event_tags = event_tags[:rng.randint(1, len(event_tags))]
        if rng.random() < 0.3:
            event_tags.append(city.lower().replace(" ", "-"))
    rows.append({
        "id": event_id,
        "organizer_id": organizer_id,
        "title": title.format(city=city),
        "description": description,
        "location": f"{venues[venue]}, {city}",
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "timezone": zone,
        "category_id": categories.get(category),
        "capacity": capacity,
        "max_tickets_per_registration": 10 if capacity >= 40 else 4,
        "waitlist_offer_hours": 0,
        "status": status,
        "series_id": series_id,
        "seats_taken": 0,
        "waitlist_count": 0,
        "checked_in_count": 0,
        "rating_sum": 0,
        "feedback_count": 0,
        "created_at": created_at,
        "updated_at": created_at,
    })
    tags.extend({"event_id": event_id, "tag": tag} for tag in dict.fromkeys(event_tags))


def _count_existing(ids):
    return db.session.scalar(select(func.count()).select_from(Event).where(Event.id.in_(ids)))


def _insert_missing(rows, tags):
    """Insert the rows whose id is not in the database yet (with their tags); return how many."""
    existing = set(db.session.scalars(select(Event.id).where(Event.id.in_([row["id"] for row in rows]))))
    rows = [row for row in rows if row["id"] not in existing]
    if rows:
        db.session.execute(insert(Event), rows)
        tags = [tag for tag in tags if tag["event_id"] not in existing]
        if tags:
            db.session.execute(insert(EventTag), tags)
    db.session.commit()
    return len(rows)


def _bulk_organizers():
    """The demo organizers plus two generated organizers per city (created once)."""
    wanted = [(f"{city.lower().replace(' ', '')}_events{n}", city)
              for city in CITIES for n in range(1, BULK_ORGANIZERS_PER_CITY + 1)]
    existing = set(db.session.scalars(select(User.username)))
    missing = [(username, city) for username, city in wanted if username not in existing]
    if missing:
        password_hash = hash_password(DEMO_PASSWORD)
        db.session.add_all(User(email=f"{username}@kijani.example", username=username, role="organizer",
                                display_name=f"{city} Events Collective {username[-1]}",
                                password_hash=password_hash, email_verified=True)
                           for username, city in missing)
        db.session.commit()
    return list(db.session.scalars(
        select(User.id).where(User.role.in_(("organizer", "admin"))).order_by(User.username)))


# --- bulk users and registrations (load tests) ------------------------------------------

#: given names and surnames across the cities above, for generated attendees
FIRST_NAMES = ["Amani", "Amina", "Chidi", "Abena", "Kwabena", "Wanjiku", "Otieno", "Nia", "Baraka",
               "Chiamaka", "Femi", "Kemi", "Tunde", "Zainab", "Yaw", "Akosua", "Mugisha", "Uwase",
               "Thandiwe", "Sipho", "Lerato", "Tsion", "Dawit", "Selam", "Neema", "Juma", "Aminata",
               "Moussa", "Fatou", "Chipo", "Tatenda", "Mwila", "Nomsa", "Kagiso", "Imani", "Halima"]
SURNAMES = ["Okafor", "Mensah", "Kamau", "Odhiambo", "Adeyemi", "Boateng", "Mutesi", "Habimana",
            "Dlamini", "Ndlovu", "Tesfaye", "Bekele", "Mwakasege", "Diallo", "Ndiaye", "Banda",
            "Phiri", "Moyo", "Nkosi", "Achieng", "Owusu", "Nwosu", "Kiprono", "Abubakar"]

#: share of bulk registrations made on a few "hot" events (they fill up and grow waitlists)
HOT_SHARE, HOT_EVENTS_SHARE = 0.5, 0.05
CANCELLED_SHARE = 0.08
BULK_USER_DOMAIN = "@users.kijani.example"


def bulk_username(number):
    """The username of generated user `number` (also how the benchmark finds them)."""
    return f"{FIRST_NAMES[number % len(FIRST_NAMES)].lower()}.{number:05d}"


def seed_bulk_users(count, on_progress=lambda done: None):
    """Make sure `count` generated attendees exist (deterministic ids); return how many were created.

    They all share ONE argon2 hash of the demo password: hashing each would take minutes.
    """
    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    created = 0
    for first in range(0, count, BULK_CHUNK):
        numbers = range(first, min(first + BULK_CHUNK, count))
        ids = [_seed_id("user", number) for number in numbers]
        existing = set(db.session.scalars(select(User.id).where(User.id.in_(ids))))
        rows = []
        for number, user_id in zip(numbers, ids, strict=True):
            if user_id in existing:
                continue
            first_name = FIRST_NAMES[number % len(FIRST_NAMES)]
            surname = SURNAMES[(number // len(FIRST_NAMES)) % len(SURNAMES)]
            username = bulk_username(number)
            joined = now - timedelta(days=1 + number % 700, minutes=number % 1440)
            rows.append({"id": user_id, "email": f"{username}{BULK_USER_DOMAIN}", "username": username,
                         "password_hash": password_hash, "role": "attendee",
                         "display_name": f"{first_name} {surname}", "email_verified": True,
                         "email_notifications": number % 3 != 0, "is_active": True,
                         "created_at": joined, "updated_at": joined})
        if rows:
            db.session.execute(insert(User), rows)
        db.session.commit()
        created += len(rows)
        on_progress(len(numbers))
    return created


def seed_bulk_registrations(count, on_progress=lambda done: None):
    """Make sure `count` generated registrations exist (deterministic ids); return how many were created.

    Registrations go to published events by the generated users, half of them on a few
    "hot" events so those fill up and get waitlists. The rules hold as if every one had
    gone through `register_for_event` in order: confirmed seats never exceed capacity (a
    registration that does not fit is waitlisted), one active registration per user and
    event, one ticket per confirmed seat, and the event's `seats_taken` and
    `waitlist_count` counters move with them. Run it while the API is not taking
    registrations: it does not take the events' row locks.
    """
    from kijani.registrations.codes import new_ticket_code
    from kijani.registrations.models import ACTIVE_STATUSES, Registration, Ticket

    user_ids = list(db.session.scalars(
        select(User.id).where(User.email.like(f"%{BULK_USER_DOMAIN}")).order_by(User.username)))
    if count and not user_ids:
        raise ValueError("no generated users to register: seed --users first")
    events = {row.id: row for row in db.session.execute(
        select(Event.id, Event.capacity, Event.seats_taken, Event.waitlist_count, Event.created_at,
               Event.starts_at, Event.max_tickets_per_registration)
        .where(Event.status == "published").order_by(Event.id)).all()}
    if count and not events:
        raise ValueError("no published events to register for: seed --events first")
    event_ids = list(events)
    random.Random(0).shuffle(event_ids)
    hot = event_ids[:max(1, int(len(event_ids) * HOT_EVENTS_SHARE))]
    # Live state, read once and kept in step with every chunk written.
    seats = {event_id: row.seats_taken for event_id, row in events.items()}
    queued = dict(db.session.execute(
        select(Registration.event_id, func.count()).group_by(Registration.event_id)).all())
    active = {(user_id, event_id) for user_id, event_id in db.session.execute(
        select(Registration.user_id, Registration.event_id)
        .where(Registration.status.in_(ACTIVE_STATUSES)))}
    codes = set(db.session.scalars(select(Ticket.code))) if count else set()
    now = utcnow()
    created = 0
    for first in range(0, count, BULK_CHUNK):
        numbers = range(first, min(first + BULK_CHUNK, count))
        ids = [_seed_id("registration", number) for number in numbers]
        existing = set(db.session.scalars(select(Registration.id).where(Registration.id.in_(ids))))
        if len(existing) == len(ids):
            on_progress(len(numbers))
            continue
        rng = random.Random(f"registrations:{first}")
        registrations, tickets, changes = [], [], {}
        for registration_id in ids:
            if registration_id in existing:
                continue
            event_id = rng.choice(hot if rng.random() < HOT_SHARE else event_ids)
            event = events[event_id]
            user_id = rng.choice(user_ids)
            for _ in range(5):  # find someone not registered yet; else it is a past, cancelled one
                if (user_id, event_id) not in active:
                    break
                user_id = rng.choice(user_ids)
            quantity = min(rng.choice((1, 1, 1, 2, 2, 3, 4)), event.max_tickets_per_registration)
            # Arrival times grow with each registration of the event, before it starts.
            position = queued.get(event_id, 0)
            queued[event_id] = position + 1
            span = min(event.starts_at, now) - event.created_at
            at = event.created_at + span * (1 - 0.9 ** (position + 1)) + timedelta(seconds=rng.random())
            row = {"id": registration_id, "user_id": user_id, "event_id": event_id, "quantity": quantity,
                   "queued_at": at, "created_at": at, "updated_at": at, "confirmed_at": None,
                   "offer_expires_at": None, "cancelled_at": None}
            change = changes.setdefault(event_id, {"seats": 0, "waitlist": 0})
            if (user_id, event_id) in active or rng.random() < CANCELLED_SHARE:
                row.update(status="cancelled", cancelled_at=at + (min(event.starts_at, now) - at) / 2)
                row["updated_at"] = row["cancelled_at"]
            elif quantity <= event.capacity - seats[event_id]:
                row.update(status="confirmed", confirmed_at=at)
                seats[event_id] += quantity
                change["seats"] += quantity
                active.add((user_id, event_id))
                for _ in range(quantity):
                    code = new_ticket_code()
                    while code in codes:  # 40 random bits: a clash among 10^5 codes does happen
                        code = new_ticket_code()
                    codes.add(code)
                    tickets.append({"id": uuid.uuid4(), "code": code, "registration_id": registration_id,
                                    "event_id": event_id, "checked_in_at": None, "check_in_nonce": None,
                                    "created_at": at})
            else:
                row["status"] = "waitlisted"
                change["waitlist"] += 1
                active.add((user_id, event_id))
            registrations.append(row)
        db.session.execute(insert(Registration), registrations)
        if tickets:
            db.session.execute(insert(Ticket), tickets)
        _add_to_counters(changes)
        db.session.commit()
        created += len(registrations)
        on_progress(len(numbers))
    return created


def _add_to_counters(changes):
    """Add the seats and waitlist entries of a chunk to the events' counters (one executemany)."""
    events = Event.__table__
    params = [{"event_id": event_id, "seats": change["seats"], "waitlist": change["waitlist"]}
              for event_id, change in changes.items() if change["seats"] or change["waitlist"]]
    if params:
        db.session.execute(
            events.update().where(events.c.id == bindparam("event_id")).values(
                seats_taken=events.c.seats_taken + bindparam("seats"),
                waitlist_count=events.c.waitlist_count + bindparam("waitlist"),
                updated_at=events.c.updated_at),
            params)


# --- demo registrations --------------------------------------------------------------------

#: (username, demo event number, quantity), in the order they register. Demo event 20 is
#: the 10-seat Petals of Blood book club: it fills up and Zawadi and Kofi end up waitlisted.
DEMO_REGISTRATIONS = [
    ("tendai", 20, 4), ("fatuma", 20, 4), ("aisha", 20, 2), ("zawadi", 20, 2), ("kofi", 20, 1),
    ("tendai", 0, 2), ("fatuma", 0, 1), ("kofi", 0, 3), ("zawadi", 0, 1), ("kwame", 0, 1),
    ("zawadi", 1, 1), ("kofi", 10, 2), ("tendai", 5, 1), ("fatuma", 12, 2), ("aisha", 17, 1),
    ("wanjiru", 11, 2), ("zawadi", 26, 1), ("tendai", 21, 2),
]


def seed_registrations():
    """Register the demo attendees through the registration service; return how many were created.

    A pair that already has a registration (in any status) is skipped, so a second run
    creates nothing. An event that has started by now is skipped too.
    """
    from kijani.common.errors import ServiceError
    from kijani.registrations.models import Registration
    from kijani.registrations.services import register_for_event

    users = {user.username: user for user in db.session.scalars(
        select(User).where(User.username.in_({username for username, _, _ in DEMO_REGISTRATIONS})))}
    created = 0
    for username, number, quantity in DEMO_REGISTRATIONS:
        user, event_id = users.get(username), _seed_id("demo", number)
        if user is None or db.session.scalar(select(Registration.id).where(
                Registration.user_id == user.id, Registration.event_id == event_id).limit(1)):
            continue
        try:
            register_for_event(user, event_id, quantity)
        except ServiceError:  # started, cancelled or deleted since the demo data was made
            db.session.rollback()
            continue
        created += 1
    return created
