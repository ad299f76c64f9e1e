"""Starter word lists a new site gets; the site's admins own and change them afterwards.

Kept modest on purpose: `banned` (rejected outright) holds slurs that have no innocent use in a
comment; `suspect` (held for a moderator) holds insults, strong swearing and spam vocabulary,
where context decides. Matching is whole-word after normalization (see moderation.text.wordlists), so
spelling variants such as "f.u.c.k" or "sh1t" need no entries of their own; an entry ending in
"*" also matches longer words that start with it.
"""

BANNED: tuple[str, ...] = (
    # English slurs
    # (not "spic", "chink", "coon*": "spic and span", "a chink in the armour", "coonhound")
    "nigger*", "nigga*", "gook*", "kike*", "kikes", "wetback*", "raghead*", "towelhead*",
    "sandnigger*", "faggot*", "porch monkey*", "jungle bunny",
    # German slurs (not "Zigeuner": still on menus; not "Fidschi": also the country)
    "neger*", "kanake*", "kanacke*", "schwuchtel*", "kuffnucke*", "untermensch*", "judensau*",
    # Spam nobody posts in good faith
    "viagra", "cialis", "levitra", "kamagra", "xanax without prescription", "buy followers",
    "casino bonus", "online casino", "escort service", "onlyfans leaks",
)

SUSPECT: tuple[str, ...] = (
    # English insults and swearing
    "fuck*", "motherfucker*", "shit", "shitty", "bullshit", "cunt*", "bitch*", "bastard*",
    "asshole*", "dickhead*", "dick", "prick", "twat*", "wanker*", "slut*", "whore*", "moron*",
    "idiot*", "imbecile*", "scum", "scumbag*", "vermin", "subhuman*", "kill yourself", "kys",
    "go back to your country", "retard", "retards", "retarded", "tranny", "trannies", "dyke",
    # German insults and swearing
    "arschloch*", "fotze*", "hurensohn*", "wichser*", "missgeburt*", "drecksau*", "scheiße",
    "scheisse", "fick dich", "ficken", "schlampe*", "spast", "spasti*", "vollidiot*",
    "halt die fresse", "verpiss dich", "verrecke*", "abschaum", "volksverräter*", "lügenpresse",
    # Spam vocabulary. Money-making phrases name the money: "I work from home two days a week"
    # is an ordinary sentence, "work from home and earn" is an advert.
    "work from home and earn", "working from home and earning", "earn from home",
    "earning from home", "make money from home", "money from home", "make money online",
    "earn money fast", "get rich quick", "binary options", "crypto giveaway",
    "double your bitcoin", "bitcoin investment", "forex signals", "click here", "dm me",
    "whatsapp me", "telegram me", "free followers", "buy instagram followers",
    "buy tiktok followers", "cheap pills", "weight loss pills", "payday loan*", "no credit check",
    "limited offer", "100% free", "sugar daddy", "hot singles", "singles in your area",
    # Recovery and "mentor" scams send readers to a person on a messenger.
    "contact him on whatsapp", "contact him on telegram", "contact her on whatsapp",
    "contact her on telegram",
)
