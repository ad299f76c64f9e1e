"""threats: threats of violence, doxxing, death wishes, incitement, dehumanization → hold.

Its own category because these are the comments that must never be published by accident: a
match holds the comment for a moderator whatever the other rules say (no points, no threshold).
The phrases are read on normalized words (case, accents, leetspeak undone: "Ich weiß, wo du
wohnst" is "ich weiss wo du wohnst"), in English and German, and most need no swear word:
"we know which school your kids go to" is a threat in polite words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from ahocorasick_rs import AhoCorasick, MatchKind
from pydantic import Field

from moderation.rules.base import Rule, RuleContext, RuleParams, Verdict, evidence
from moderation.text.normalize import normalize
from moderation.text.spans import all_quoted

NAME = "threats"

_YOU = r"(?:you|u|ya|you all|yall)"
_YOUR = r"(?:your|ur|yer)"
_PEOPLE = (r"(?:they|these people|those people|you people|you lot|immigrants|migrants|refugees|"
           r"muslims|jews|blacks|gays|women|foreigners|roma|gypsies|arabs|africans|mexicans|"
           r"trans people|diese leute|diese menschen|auslander|fluchtlinge|migranten|muslime|"
           r"moslems|juden|schwarze|schwule|frauen|zigeuner|araber|afrikaner)")
_VERMIN = (r"(?:animals|vermin|parasites|rats|cockroaches|subhuman|subhumans|savages|scum|filth|"
           r"a disease|a plague|a cancer|apes|monkeys|pigs|insects|a virus|an infestation|"
           r"tiere|ungeziefer|parasiten|ratten|abschaum|untermenschen|affen|dreck|pack|gesindel|"
           r"schmarotzer|kakerlaken|viecher|eine seuche|eine plage|schweine|an abomination)")
_HARM_EN = (r"(?:die|be shot|be hanged|be hung|be killed|be gassed|be burned alive|be lynched|"
            r"be exterminated|be wiped out|be raped|get raped|get cancer|be put against a wall)")
_HARM_DE = (r"(?:vergast|erschossen|aufgehangt|erhangt|ausgerottet|an die wand gestellt|"
            r"hingerichtet|abgeknallt|totgeschlagen|aufgeknupft|gelyncht)")
# A phrase with one of these is not a wish or a threat: "I hope they do not die".
# What is wished on someone in German, unless it goes on as a word about care ("Krebs-Station").
_WISHED_HARM_DE = (r"(?:krebs|den tod|die pest|einen qualvollen tod|einen langsamen tod)"
                   r"(?! station| hilfe| patient| kranke| forschung| vorsorge| therapie)")
_NEGATION = re.compile(r" (?:not|never|nt|cannot|nicht|nie|niemals|kein|keine|keiner) |"
                       r" (?:do|does|did|wo|would|should|ca|could|is|are|was|were|have|has|had)"
                       r"n t ")

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern)) for label, pattern in (
        # English
        ("self-harm incitement", r" (?:kill your ?self|kys|go die|go hang yourself|"
                                 r"drink bleach|jump off a (?:bridge|cliff|roof)) "),
        ("threat", rf" (?:i|we|someone|somebody)(?: will| ll| am going to| m going to| are going to|"
                   rf" re going to| gonna| shall)? (?:kill|hurt|rape|shoot|stab|beat|murder|strangle|"
                   rf"slit|burn|hunt down|make an example of) (?:{_YOU}|{_YOUR}|her|him|them)\b"),
        ("threat", rf" (?:i|we) know where (?:{_YOU}|she|he|they|{_YOUR} \w+|her \w+|his \w+) "
                   rf"(?:live|lives|work|works|sleep|sleeps|park|parks|go|goes)\b"),
        ("threat", rf" (?:i|we) know (?:which|what) (?:school|kindergarten|daycare|car|house|street|"
                   rf"gym|office|bus) (?:{_YOUR}|her|his|their) "),
        ("threat", r" shame if something (?:happened|happens|were to happen|bad happened) to "),
        ("threat", rf" watch {_YOUR} back | {_YOU} (?:will|ll|are going to|re going to|re gonna) "
                   r"(?:pay for|regret) (?:this|that|it) | (?:you|u) (?:will|ll) be next | "
                   r"(?:you|u) re next "),
        ("threat", r" (?:people|journalists|reporters|traitors|hacks) like (?:you|u|her|him) "
                   r"(?:end up|will end up|should end up|tend to disappear|have accidents) "),
        ("threat", r" (?:remember|think about) what happened (?:in 19[34]\d|to (?:people|"
                   r"journalists|traitors|jews) like) "),
        ("threat", rf" (?:day of the rope|lamp ?posts? (?:are|is) waiting|a rope (?:for|waiting)|"
                   rf"bullet with {_YOUR} name|{_YOUR} days are numbered|"
                   rf"hope {_YOUR} (?:house|car|office) burns) "),
        ("death wish", rf" (?:i|we) (?:hope|wish|pray) (?:that )?(?:{_YOU}|{_YOUR}(?: \w+){{1,2}}) "
                       rf"(?:\w+ ){{0,2}}(?:die|dies|get cancer|gets cancer|rot in hell|get raped|"
                       rf"gets raped|suffer|suffers|drop dead|drops dead|never wake up)\b"),
        ("death wish", r" (?:i|we) (?:hope|wish|pray) (?:that )?(?:he|she|they|his \w+|her \w+|"
                       r"their \w+|the author|the journalist|the reporter) (?:\w+ ){0,2}(?:dies|die|"
                       r"gets cancer|get cancer|rots in hell|gets raped|drops dead|never wakes up)\b"),
        ("death wish", rf" (?:should|deserve to|deserves to|ought to|needs to|need to) (?:all )?"
                       rf"{_HARM_EN}\b"),
        ("incitement", r" (?:someone|somebody|we|people|you) (?:should|need to|must|has to|have to|"
                       r"ought to) (?:shoot|kill|hang|lynch|beat up|stab|pay (?:him|her|them) a visit|"
                       r"teach (?:him|her|them) a lesson|burn down) "),
        ("incitement", r" (?:burn|torch|firebomb) (?:down )?(?:their|his|her|the) (?:house|houses|home|"
                       r"mosque|mosques|synagogue|synagogues|newsroom|offices|shelter|shelters|camp|"
                       r"hostel|hostels) "),
        ("doxxing", r" (?:his|her|their|your|the author s|the journalist s|the reporter s) "
                    r"(?:home address|private address|address|phone number|mobile number|"
                    r"cell number|private number) is "),
        ("doxxing", r" (?:everyone|everybody|all of you|lets all|let s all|go) (?:email|e mail|"
                    r"flood|spam|write to|bombard|message|dm) (?:her|him|them|the author|"
                    r"this journalist|this reporter|his|her|their) "),
        ("doxxing", r" (?:flood|bombard|spam|fill) (?:her|his|their|the author s|the journalist s) "
                    r"(?:inbox|phone|email|mailbox|voicemail) "),
        ("doxxing", r" (?:does anyone|anyone|who) (?:know|knows|have|has|got) (?:where (?:she|he|"
                    r"they) (?:lives|live)|(?:her|his|their) (?:home address|address|phone number)) "),
        ("dehumanizing", rf" {_PEOPLE} (?:are|is) (?:all |just |nothing but |nothing more than "
                         rf"|like )?{_VERMIN} "),
        ("dehumanizing", rf" {_PEOPLE} (?:should be|must be|need to be|have to be|will be) "
                         r"(?:exterminated|eradicated|wiped out|gassed|sterilized|culled) "),
        ("threat", r" (?:i|we) (?:drive|walk|go|went|drove) past (?:your|ur|her|his) (?:house|home|"
                   r"flat|office|school|door) | accidents happen to (?:people|journalists|those|"
                   r"reporters) (?:who|like) | (?:see|saw|watch|watching) (?:you|your \w+) every "
                   r"(?:morning|night|evening|day) "),
        ("death wish", r" should have been aborted | may (?:you|your \w+|his \w+|her \w+)"
                       r"(?: \w+){0,4} (?:suffer|die|rot|burn|choke|perish) | (?:hope|wish) "
                       r"(?:\w+ ){0,4}(?:croaks|croak|kicks the bucket|breaks (?:his|her|both|their) "
                       r"(?:legs|neck|spine)) "),
        ("doxxing", r" here (?:is|s) (?:her|his|their) (?:insta|instagram|facebook|twitter|tiktok|"
                    r"snapchat|number|phone number|address|home address|workplace) | (?:i ve |i have |"
                    r"we ve |we have )?got (?:the|her|his|their) (?:home address|address|phone number|"
                    r"number) | email (?:the|that) (?:activist|journalist|author|reporter|editor|"
                    r"judge|teacher) at "),
        ("dehumanizing", r" breed like (?:rats|rabbits|cockroaches|vermin|animals|flies) | human "
                         r"(?:garbage|trash|waste|filth|scum) | (?:invaders|illegals|asylum seekers|"
                         r"the homeless) are (?:all |just )?(?:cockroaches|rats|vermin|parasites|"
                         r"animals|scum) | step on them | (?:sink|drown) them | and sunk "
                         r"| jews (?:control|run|own) the (?:banks|media|world|government) "),
        ("incitement", r" deal with (?:him|her|them)(?: \w+){0,2} permanently | take out the "
                       r"(?:minister|mayor|judge|journalist|president|reporter|editor|mp) | storm "
                       r"the (?:town hall|parliament|newsroom|office|courthouse|mosque|synagogue) | "
                       r"start with the (?:synagogue|mosque|church|newsroom|shelter) "),
        ("threat", r" (?:i ll|i will|we ll|we will|gonna|going to) (?:beat|smash|kick|knock|bash|"
                   r"cave) (?:your|ur|his|her|their) (?:head|face|teeth|skull) in "),
        ("death wish", r" (?:hope|wish|hopefully|should|deserve to|deserves to|let them|they can) "
                       r"(?:\w+ ){0,2}(?:leave|go home|be sent back|go back) in (?:body bags|"
                       r"a body bag|coffins|a coffin) | (?:hope|wish) (?:you|u|he|she|they|your \w+|"
                       r"his \w+|her \w+) (?:\w+ ){0,2}(?:gets?|got) (?:hit|run over) by a (?:bus|car|"
                       r"train|truck|lorry) | hope (?:your|his|her|their) plane crashes | (?:wish|"
                       r"wishing) (?:you|u|him|her|them) (?:cancer|death|a slow death|a painful death)"
                       r"(?! free| treatment| research| patients| survivors| care| ward| screening) "),
        ("self-harm incitement", r" (?:neck|unalive) (?:your ?self|urself|yourselves) | "
                                 r"go unalive "),
        ("go back", r" (?:go|get) back (?:to|where) (?:where you came from|you came from|your own "
                    r"country|your country|your (?:shithole|jungle|desert|cave|mud hut)|africa) "),
        # German
        ("threat", r" (?:ich|wir) (?:werde|werden|krieg\w*) (?:dich|euch) (?:noch |schon |bald |"
                   r"alle |auch )*(?:kriegen|erwischen|fertigmachen|umbringen|abstechen|aufschlitzen|"
                   r"kaltmachen|abknallen|plattmachen) "),
        ("threat", r" (?:ich|wir) (?:weiss|wissen|kenne|kennen) (?:genau )?(?:wo|wo genau) "
                   r"(?:du|ihr|sie|er|deine \w+|eure \w+) (?:wohnst|wohnt|wohnen|arbeitest|arbeitet|"
                   r"arbeiten|schlafst|schlaft|parkst|parkt|zur schule gehen|zur schule geht) "),
        ("threat", r" (?:ich|wir) (?:weiss|wissen|kenne|kennen) (?:genau )?(?:welche|in welche|"
                   r"auf welche) (?:schule|kita|kindergarten) (?:deine|eure|ihre|seine) "),
        ("threat", r" (?:du|ihr) (?:wirst|werdet) (?:das |es )?(?:schon|noch) (?:sehen|merken|bereuen|"
                   r"bezahlen|bussen) | (?:das|dafur) (?:wirst|werdet) (?:du|ihr) (?:noch )?"
                   r"(?:bereuen|bezahlen|bussen) "),
        ("threat", r" (?:deine|eure|ihre) tage sind gezahlt | bald (?:hangt ihr|hangst du|hangen sie|"
                   r"hangt er|rollen kopfe|seid ihr dran|bist du dran)|der strick wartet|"
                   r" an die laterne "),
        ("threat", r" (?:es )?(?:ware|war) (?:doch )?(?:schade|eine schande) wenn (?:\w+ ){0,4}"
                   r"(?:was|etwas) (?:passiert|passieren wurde|zustosst|zustossen wurde) "),
        ("threat", r" (?:denk|denkt|denken sie) (?:mal )?(?:an|daran was) (?:19[34]\d|damals)|"
                   r" wie (?:19[34]\d|damals) mit (?:den|euch|ihnen|denen) "),
        ("threat", r" (?:ware|war) (?:doch |ja )?schade (?:drum|darum) | wir sehen uns (?:bestimmt |bald |"
                   r"noch |schon )*(?:mal )?(?:abends|nachts|im dunkeln|auf dem parkplatz|wenn) | "
                   r"ich warte (?:vor|an) (?:deinem|ihrem|dem|der|eurem) (?:haus|wohnung|buro|"
                   r"funkhaus|redaktion|tur|auto|schule) "),
        ("death wish", r" (?:bricht|brecht|brichst) (?:sich|dir|euch) (?:beide beine|das genick|"
                       r"den hals) | (?:den tod|einen herzinfarkt|krebs|eine kugel) (?:\w+ ){0,3}"
                       r"verdient | (?:hatte|hatten) (?:die bombe|der anschlag|die kugel) (?:doch )?"
                       r"(?:nur )?(?:\w+ ){0,2}(?:getroffen|erwischt) | moge (?:du|deine \w+|eure \w+|"
                       r"ihr|er|sie)(?: \w+){0,5} (?:sterben|verrecken|krepieren|leiden) | auf "
                       r"(?:dein|deinem|euer|eurem|ihr|ihrem) grab "),
        ("threat", r" (?:schlag|schlage|schlagen|hau|haue|hauen|prugel|prugele|prugeln|stech|"
                   r"steche|stechen) (?:ich|wir) (?:dich|ihn|euch) (?:\w+ )?(?:tot|krankenhausreif|"
                   r"windelweich) "),
        ("death wish", r" (?:wunsch|wunsche|wunschen)(?: ich| wir)? (?:dir|ihm|euch|denen|ihnen) "
                       rf"{_WISHED_HARM_DE} | (?:dem|der|denen|dir|ihm|euch) "
                       rf"(?:wunsch|wunsche|wunschen) (?:ich|wir) {_WISHED_HARM_DE} "),
        ("incitement", r" gehort (?:mal )?(?:eine |ordentlich |richtig )?(?:reingehauen|aufs maul|"
                       r"eins aufs maul|eine aufs maul|in die fresse) "),
        ("doxxing", r" stattet (?:\w+ ){0,3}einen besuch ab | (?:rausfinden|herausfinden|rauskriegen) "
                    r"wo (?:\w+ ){0,2}wohnt "),
        ("dehumanizing", r" (?:der islam|islam|das judentum|die juden|die muslime|die auslander|"
                         r"die migranten|die fluchtlinge) (?:ist|sind) (?:ein |eine )?(?:krebsgeschwur|"
                         r"geschwur|seuche|pest|plage|krankheit|virus) | unnutze esser | "
                         r"lebensunwert | (?:sollte man|muss man|gehoren) (?:\w+ ){0,6}versenken | "
                         r"(?:die )?juden (?:steuern|kontrollieren|beherrschen) "),
        ("incitement", r" (?:um (?:den|die|ihn|sie) kummern|(?:den|die|ihn|sie) vorknopfen)"
                       r"(?: \w+){0,2} (?:endgultig|fur immer|dauerhaft) | sollte sich (?:den|die|"
                       r"diesen|diese) (?:\w+ )?vorknopfen | aufknupfen | (?:geht|zieht|lasst uns) "
                       r"(?:zur|zum|vor die|vor das) (?:redaktion|moschee|synagoge|rathaus|unterkunft|"
                       r"heim) und "),
        ("death wish", r" (?:ich|wir) (?:hoffe|hoffen|wunsche|wunschen) (?:dass )?(?:du|ihr|deine \w+|"
                       r"eure \w+|er|sie|seine \w+|ihre \w+) (?:\w+ ){0,3}(?:stirbst|stirbt|sterben|"
                       r"krepierst|krepiert|krepieren|verreckst|verreckt|verrecken|krebs bekommt|"
                       r"krebs kriegt|krebs bekommst) "),
        ("death wish", r" (?:gehoren|gehort|sollte|sollten|sollen|musste|mussten|muss|mussen) "
                       rf"(?:\w+ ){{0,3}}{_HARM_DE} "),
        ("death wish", r" (?:verreck|krepier|verrecke|krepiere|verreckt|krepiert) (?:doch|endlich|"
                       r"alle|ihr|du) | bring dich (?:doch |endlich )?um "),
        ("incitement", r" (?:man sollte|man muss|man musste|jemand sollte|wir sollten|wir mussen) "
                       r"(?:ihn|sie alle|euch|die alle|das pack|diese leute|den kerl|die frau) "
                       r"(?:\w+ ){0,2}(?:aufhangen|abknallen|erschiessen|umbringen|totschlagen|"
                       r"aufknupfen|an die wand stellen|einen besuch abstatten|lynchen|vergasen) "),
        ("incitement", r" (?:zundet|fackelt|brennt) (?:ihre|seine|die|deren) (?:hauser|haus|heime|"
                       r"heim|moschee|moscheen|synagoge|redaktion|unterkunft|unterkunfte|"
                       r"fluchtlingsheime|asylheime) (?:an|ab|nieder) "),
        ("doxxing", r" (?:seine|ihre|deine) (?:private adresse|privatadresse|handynummer|"
                    r"telefonnummer|wohnadresse|private nummer|private telefonnummer) "
                    r"(?:ist|lautet|steht|findet) "),
        ("doxxing", r" (?:bombardiert|flutet|uberschwemmt|zuspammt|spammt) (?:\w+ ){0,3}(?:postfach|"
                    r"mails|e mails|mailbox|telefon|handy|nachrichten) | schreibt (?:ihr|ihm) alle "),
        ("doxxing", r" (?:weiss|kennt) (?:jemand|einer|wer) (?:wo (?:sie|er) wohnt|(?:ihre|seine) "
                    r"(?:adresse|privatadresse|nummer|handynummer)) | hier (?:ist|sind) (?:seine|ihre) "
                    r"(?:adresse|privatadresse|handynummer|telefonnummer) "),
        ("dehumanizing", r" (?:man sollte|man muss|man musste) (?:die|diese|alle) (?:\w+ ){0,2}"
                         r"(?:ausrotten|vergasen) "),
        ("dehumanizing", rf" {_PEOPLE} (?:sind|seid) (?:alle |nur |doch nur |wie |nichts als )?"
                         rf"{_VERMIN} "),
        ("dehumanizing", rf" {_PEOPLE} (?:gehoren|sollte man|muss man|sollten) (?:alle |endlich )?"
                         r"(?:ausgerottet|vergast|ausgeloscht|vernichtet) "),
    )
)


# Words too common to tell anything: a pattern is tried only when the text holds one of its other
# literal words (as a substring, so "verreck" finds "verreckt"). tests/rules/test_threats.py
# checks on every labelled text that the shortcut changes no answer.
_COMMON = frozenset("""
you your yall the and are for that this with all his her him they them she was were have has
had not but can will would could should shall going gonna get got ich wir du dich dir euch ihr
sie ihn ihm ihnen der das den dem des und ist sind seid wie was wer mit auf fur von zum zur
ein eine einen dass doch nur noch schon bald alle auch mal who any some one
""".split())
_TRIGGERS = [frozenset(w for w in re.findall(r"[a-z]{3,}", pattern.pattern) if w not in _COMMON)
             for _, pattern in PATTERNS]
_TRIGGER_WORDS = sorted(set().union(*_TRIGGERS))
_AUTOMATON = AhoCorasick(_TRIGGER_WORDS, matchkind=MatchKind.Standard)
# The patterns each trigger word calls for: a text is tried on those only, not on every pattern.
_PATTERNS_OF = tuple(tuple(n for n, triggers in enumerate(_TRIGGERS) if word in triggers)
                     for word in _TRIGGER_WORDS)


class ThreatsParams(RuleParams):
    action: Literal["hold", "reject"] = "hold"
    # A threat someone is reported to have written ("she was sent: we know where you live") is
    # not held alone: it adds these abuse points, and the model's reading of the rest decides.
    reported_points: float = Field(default=2.0, ge=0.0, le=20.0)


# Words that report what someone else said or wrote, when they come just before the phrase.
_REPORTING = frozenset("""
wrote writes write writing written said says saying told tweeted tweet posted post messaged
texted emailed sent quote quoted quoting read reads reading letter letters email emails message
messages threat threats comment comments line lines words phrase sentence saying called
schrieb schreibt schreiben geschrieben sagte sagt sagen gesagt twitterte postete gepostet lautete
lautet inhalt zitat zitiert zitieren las liest vorgelesen brief briefe mail mails drohmail
drohmails drohbrief drohbriefe nachricht nachrichten kommentar kommentare satz satze zeile zeilen
formulierung worte wortlaut bekam bekommen erhielt erhalten
""".split())
# How many words before a phrase are looked at for a reporting word.
REPORTING_REACH = 4


def find_threats(words: str, prefilter: bool = True) -> Iterator[tuple[str, str]]:
    """(kind, phrase) of each threat found in normalized words."""
    padded = f" {words} "
    tried = sorted({n for word, _, _ in _AUTOMATON.find_matches_as_indexes(padded, overlapping=True)
                    for n in _PATTERNS_OF[word]}) if prefilter else range(len(PATTERNS))
    for n in tried:  # in the order of PATTERNS: the first threat found is the one shown
        label, pattern = PATTERNS[n]
        for found in pattern.finditer(padded):
            if not _NEGATION.search(found.group(0)):
                yield label, found.group(0).strip()


def find_threat(words: str) -> tuple[str, str] | None:
    """(kind, phrase) of the first threat found in normalized words, or None."""
    return next(find_threats(words), None)


def reported(words: str, phrase: str) -> bool:
    """Whether a reporting word ("wrote", "lautete", "Drohmails") stands just before the phrase."""
    before = f" {words} ".split(f" {phrase} ", 1)[0].split()
    return not _REPORTING.isdisjoint(before[-REPORTING_REACH:])


def check(ctx: RuleContext, params: ThreatsParams) -> Verdict:
    body = ctx.item.body
    words = normalize(body)
    # A threat quoted to be condemned ('Whoever wrote "go back where you came from" …') is not
    # one; the quotes are looked for only when a phrase matched, which is rare.
    found = [(label, phrase) for label, phrase in find_threats(words)
             if not all_quoted(body, [phrase])]
    if not found:
        return Verdict(NAME, "allow")
    direct = [(label, phrase) for label, phrase in found if not reported(words, phrase)]
    label, phrase = (direct or found)[0]
    details = {"kind": label, "matched": [phrase], "phrases": [phrase]}
    if direct:
        return Verdict(NAME, params.action, 1.0, f"{label}: {phrase!r}", details)
    return evidence(NAME, "abuse", params.reported_points, f"reported {label}: {phrase!r}",
                    details)


RULE = Rule(NAME, frozenset({"comment"}), ThreatsParams, check)
