"""Word families the text model reads as features, so that it knows words its examples never had.

A model learned from a few thousand comments knows "idiot" if an example had it, not "imbecile";
"rats" and not "cockroaches"; "whatsapp" and not "viber". Each family below is one feature
(`x:insult`, `x:violence` …) that every member sets, so the weight the model learns for the family
from the members it saw carries over to the members it did not. A family word in a text that
addresses someone ("you", "du", "@name") sets a second feature (`x:insult+you`): an insult aimed at
a person is not a word under discussion.

Entries are written naturally and normalized like comments (moderation.text.normalize: case,
accents, ß). An entry ending in `*` matches every word that starts with it ("dreck*": "Drecksack",
"Dreckspack"); the rest match whole words.
"""

from __future__ import annotations

import functools

from moderation.text.normalize import normalize

FAMILIES: dict[str, str] = {
    "insult": """
        idiot* moron* imbecile* cretin* dimwit* halfwit* nitwit* dumbass dumbasses numpty
        numpties muppet* clown clowns buffoon* dunce dolt dolts simpleton* twit twits dope
        loser losers scum scumbag* lowlife lowlifes degenerate* pathetic worthless useless
        braindead brainless clueless spineless gutless talentless ignorant ignoramus* retard*
        hack hacks shill shills stooge* lapdog* bootlicker* liar liars hypocrite* coward*
        snowflake* libtard* trash garbage filth filthy disgusting vile creep creeps freak freaks
        weirdo* pig pigs swine fatso lardass ugly hag hags witch bimbo* airhead* incompetent
        stupid stupidest dumb dumber dumbest
        vollidiot* idiotin* depp deppen trottel* dummkopf* schwachkopf* hohlkopf* spatzenhirn*
        blodmann* blodian* dumm dummer dummes dummen dumme dummste* bescheuert* beknackt*
        behindert* spast* spasti* mongo* vollpfosten* pfosten* honk honks lauch lappen versager*
        witzfigur* hanswurst* schwachmat* penner* assi assis asozial* abschaum pack gesindel
        pöbel lump lumpen halunke* schmierfink* schreiberling* lügner* lugner* heuchler*
        feigling* lakai* knecht* schleimer* kriecher* systemling* lügenpresse* lugenpresse*
        drecks* dreck* mistkerl* miststuck* sau saue schwein* hässlich* hasslich* fett* widerlich*
        ekelhaft* erbärmlich* erbarmlich* jammerlappen* weichei* nichtsnutz* taugenichts*
        """,
    "profanity": """
        fuck* fck* fuk* fucc* fking phuck* shit* shite bullshit* crap crappy piss* pissed
        arse arsehole* ass asshole* asshat* dick dickhead* dicks prick pricks cock cocks
        cocksucker* cunt* twat* wanker* tosser* bastard* bitch* bollocks bugger* damn goddamn
        motherfucker* mofo slut* whore* hoe hoes douche* jackass* dipshit* shitty
        scheiss* scheis* scheiß* kacke kack* arsch* arschloch* wichser* wixer* wixxer* fick*
        fotze* hure* huren* hurensohn* schlampe* missgeburt* mistgeburt* bastard* verpiss*
        sack säcke pisser* pissnelke* kotzbrocken* drecksau* dreckssau*
        """,
    "violence": """
        kill killed killing kills murder* slaughter* butcher* execute* executed execution
        shoot shot shooting stab stabbed stabbing hang hanged hanging lynch* beat beaten
        beating bash bashing punch punched smash strangle* choke choking burn burned burning
        torch torched bomb bombed bombing bullet bullets gun guns rifle knife knives machete*
        gas gassed gassing exterminate* eradicate* annihilate* destroy destroyed crush* hurt
        hunt hunted hunting behead* decapitat* guillotine* gallows noose rope lamppost*
        umbringen umbring* bringen töten toten tötet totet getötet getotet ermorden*
        ermordet* morden mord abschlachten* schlachten* abknallen* knallen erschießen* erschiessen*
        erschossen erstechen* erstochen aufhängen* aufhangen* aufgehängt* aufgehangt* hängen
        hangen laterne* galgen* strick verprügeln* verprugeln* prügel* prugel* schlagen
        zusammenschlagen* abfackeln* anzünden* anzunden* verbrennen* vergasen* vergast* ausrotten*
        ausmerzen* vernichten* vernichtet* ausradieren* messer kugel kugeln waffe waffen
        """,
    "death": """
        die dies died dying dead death deaths kys suicide cancer aids disease tumor tumour
        rot rotting perish* grave graves coffin* funeral* bleed bleeding
        sterben stirb stirbt verrecke* verreck* krepier* tot tod tode todes krebs
        seuche* pest krankheit* grab sarg verbluten* verblute*
        """,
    "dehumanize": """
        vermin rat rats cockroach* roach roaches parasite* leech* lice louse maggot* insect*
        animal animals beast beasts savage* subhuman* untermensch* ape apes monkey* baboon*
        gorilla* dog dogs mutt* mongrel* plague infestation infest* filth pest pests
        cancer tumour tumor virus disease germs bacteria breed breeding invader* invasion horde*
        swarm* flood
        ungeziefer* parasit* schmarotzer* zecke* zecken laus läuse lause made maden ratte* kakerlake*
        tier tiere tieren vieh viecher bestie* affe affen pavian* hund hunde köter* koter*
        untermenschen abschaum pack gesindel brut pest seuche* plage geschwür* geschwur*
        krebsgeschwür* krebsgeschwur* invasion* horde* schwarm* flut überfremdung* uberfremdung*
        umvolkung* volksverräter* volksverrater* volksschädling* volksschadling*
        """,
    "threat_context": """
        address home house live lives living street door doorstep window car plate kids
        children child daughter son wife husband family mother school office work workplace
        waiting wait watch watching find found follow followed visit regret sorry careful
        soon day night dark alone protect forever last
        adresse wohnst wohnt wohnung haus haustür haustur tür tur straße strasse auto
        kennzeichen kinder kind tochter sohn frau mann familie mutter schule büro buro arbeit
        arbeitsplatz warten wartet warte beobachten finden folgen besuch besuchen bereuen
        bereust vorsicht aufpassen bald tag nacht dunkel allein schützen schutzen
        """,
    "sexual": """
        rape raped raping rapist* grope* groping tits boobs boob titties nude nudes naked
        sexy horny bang banging blowjob* suck sucking bend spank* thong skirt panties
        legs lingerie bed shag shagging screw screwing porn* pussy pussies
        vergewaltig* begrapsch* titten möpse mopse brüste bruste nackt nacktbild* geil geile
        geilen bumsen bums vögeln vogeln poppen blasen ficken rock höschen hoschen
        """,
    "group": """
        migrant migrants immigrant* refugee* asylum foreigner* muslim* islam* jew jews jewish
        gay gays lesbian* trans tranny* queer* homo homos black blacks africans arab arabs
        gypsy gypsies roma women woman feminist* leftist* liberals disabled cripple* retard*
        ausländer* auslander* flüchtling* fluchtling* asylant* asylanten migranten muslime
        moslem* juden jude schwule* schwuchtel* lesben neger* kanake* kanacken* zigeuner*
        weiber weib frauen feministin* linke linken grüne grunen behinderte* krüppel* kruppel*
        """,
    "money": """
        earn earning earnings earned income profit profits cash paid paycheck payout* salary
        dollars usd investment invest investing investor* returns guaranteed passive bonus
        bonuses reward* prize* winner won win winning jackpot million millions thousand
        loan loans lender* credit debt debts mortgage approval approved instant fast quick
        verdienen verdiene verdient verdiente einkommen gewinn gewinne gewonnen gewinner gehalt
        rendite geld euro investition* investier* anlage* garantiert* passiv* prämie* pramie*
        bonus kredit* darlehen* schulden* schufa sofort schnell
        """,
    "contact": """
        whatsapp whats telegram signal viber wechat kik snapchat snap insta instagram tiktok
        dm pm inbox message messages contact contacts email mail call text sms reply
        hotline number phone cell mobile
        nachricht nachrichten kontakt kontaktier* schreib schreibt meldet melde anruf anrufen
        ruf handy telefon nummer
        """,
    "promo": """
        click link links visit website site check channel subscribe subscribed subscriber*
        subscription sub4sub follow follower* followers like likes profile bio promo code
        discount coupon deal deals offer offers free freebie* giveaway sale shop store order
        buy cheap cheapest limited exclusive opportunity signup register join
        klick klicken link seite webseite kanal abonnieren abonniert abo folgen follower
        profil gutschein rabatt angebot angebote gratis kostenlos gewinnspiel bestellen kaufen
        günstig gunstig exklusiv chance anmelden registrieren mitmachen
        """,
    "pharma": """
        pill pills viagra cialis levitra tramadol xanax valium oxy* prescription pharmacy
        pharma* meds medication* weight diet slimming supplement* cbd keto enhancement
        erection* potency
        tablette* pille* rezept rezeptfrei* apotheke* potenz* abnehmen diät diat schlank*
        nahrungsergänzung* nahrungserganzung* medikament*
        """,
    "crypto": """
        bitcoin* btc eth ethereum crypto* cryptocurrency forex trading trader* broker*
        wallet* blockchain token tokens nft airdrop* mining recovery recover recovered hacker*
        scam scammed funds
        krypto* händler* handler* makler* wallet depot börse borse
        """,
    "gamble": """
        casino* slot slots spins jackpot bet bets betting bookie* poker roulette gamble* odds
        essay essays homework assignment* thesis dissertation*
        spiel spielen wetten wette wettbonus* sportwetten* freispiel* hausarbeit* ghostwrit*
        bachelorarbeit* masterarbeit*
        """,
    "adult": """
        singles dating date hookup* hookups escort* webcam cam cams horny hot sexy lonely
        flirt* nudes private pics photos
        singlebörse* singleborse* treffen einsam heiß heiss bilder fotos privat
        """,
}

# Words that aim a text at a person.
ADDRESSING = frozenset(normalize("""
    you your youre yours yourself yourselves ya u ur ye thee
    du dich dir dein deine deinen deinem deiner euch euer eure
""").split())


def _compile() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], tuple[int, ...]]:
    words: dict[str, set[str]] = {}
    stems: dict[str, set[str]] = {}
    for family, entries in FAMILIES.items():
        for entry in entries.split():
            stem = entry.endswith("*")
            form = normalize(entry.rstrip("*")).replace(" ", "")
            if form:
                (stems if stem else words).setdefault(form, set()).add(family)
    return ({w: frozenset(f) for w, f in words.items()},
            {s: frozenset(f) for s, f in stems.items()},
            tuple(sorted({len(s) for s in stems})))


_WORDS, _STEMS, _STEM_LENGTHS = _compile()


@functools.lru_cache(maxsize=20_000)
def families_of(word: str) -> frozenset[str]:
    """The families a normalized word belongs to."""
    found = _WORDS.get(word, frozenset())
    for length in _STEM_LENGTHS:
        if length > len(word):
            break
        more = _STEMS.get(word[:length])
        if more:
            found = found | more
    return found


def lexicon_features(words: list[str], addressed: bool) -> list[str]:
    """`x:family` for each family a word of the text belongs to, and `x:family+you` when the
    text addresses someone."""
    families: set[str] = set()
    for word in words:
        families.update(families_of(word))
    found = [f"x:{family}" for family in sorted(families)]
    if addressed:
        found += [f"x:{family}+you" for family in sorted(families)]
    return found


def addresses_someone(text: str, words: list[str]) -> bool:
    return "@" in text or not ADDRESSING.isdisjoint(words)
