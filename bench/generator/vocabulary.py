"""The words generated content is made of: Danish names, job titles, places and meetings, the
vocabulary of each theme and the sentence templates of titles and posts.

Pure data. The templates' slots (``{subject}``, ``{terms_def}``, ``{muni}`` ...) are filled in
by ``bench.generator.writer``. No phrase holds a long digit run, so no text can look like a CPR
number.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.models import TopicKind

# The phrase lists are data: keep them packed rather than one string per line.
# fmt: off

FEMALE_NAMES = (
    "Anne", "Mette", "Hanne", "Susanne", "Lene", "Charlotte", "Camilla", "Louise", "Maria",
    "Pia", "Tina", "Helle", "Lone", "Karina", "Dorte", "Bettina", "Marianne", "Rikke", "Sanne",
    "Trine", "Line", "Julie", "Sofie", "Ida", "Katrine", "Malene", "Birgitte", "Gitte",
    "Kirsten", "Inge", "Jette", "Heidi", "Stine", "Maja", "Signe", "Tanja", "Christina", "Lotte",
    "Ulla", "Merete", "Anne-Mette", "Marie-Louise", "Anne Sofie", "Karen", "Eva", "Nanna",
    "Cecilie", "Mia", "Laura", "Emma", "Sara", "Fatima", "Amalie", "Vibeke", "Bodil", "Dorthe",
)
MALE_NAMES = (
    "Lars", "Jens", "Peter", "Michael", "Henrik", "Søren", "Thomas", "Niels", "Morten",
    "Jesper", "Martin", "Anders", "Rasmus", "Mads", "Kasper", "Christian", "Jakob", "Ole",
    "Torben", "Jan", "Claus", "Bo", "Kim", "Steen", "Allan", "Brian", "Frederik", "Mikkel",
    "Simon", "Jonas", "Jacob", "Poul", "Erik", "Hans Henrik", "Per", "Ali", "Emil", "Troels",
)
LAST_NAMES = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen",
    "Mikkelsen", "Lauridsen", "Frederiksen", "Østergaard", "Dahl", "Holm", "Lund", "Bach",
    "Kjær", "Vestergaard", "Nørgaard", "Bertelsen", "Skov", "Damgaard", "Lindberg", "Brandt",
    "Overgaard", "Krogh", "Friis", "Bruun", "Iversen", "Eriksen", "Hald", "Toft", "Juhl",
    "Winther", "Søgaard", "Kirkegaard", "Hussein", "Yilmaz", "Novak", "Ahmadi", "Laursen",
)
# Repeated entries are weights: there are more team leaders than heads of department.
MEMBER_TITLES = (
    "Børne- og ungechef", "Myndighedsleder", "Myndighedsleder", "Teamleder", "Teamleder",
    "Teamleder", "Centerleder", "Afdelingsleder", "Afdelingsleder", "Familieplejekonsulent",
    "Udførerleder", "Leder af familieafdelingen", "Faglig koordinator", "Sektionsleder",
    "Områdeleder", "Fagchef for børn og familier", "Leder af familieplejen", "Leder af PPR",
    "Socialfaglig leder", "Familiechef",
)
FACILITATOR_TITLES = ("Konsulent", "Chefkonsulent", "Specialkonsulent", "Fuldmægtig")
ORGANISATIONS = ("KL", "Social- og Boligstyrelsen")

PARTNERS = (
    "PPR", "skolen", "sundhedsplejen", "sundhedsplejersken", "dagtilbuddet",
    "børne- og ungepsykiatrien", "familieplejekonsulenterne", "Familieretshuset", "jobcentret",
    "voksenområdet", "SSP", "Socialtilsynet", "VISO", "udførerområdet", "de frivillige",
    "plejefamilierne", "anbringelsesstedet", "skolelederne",
)
PERIODS = (
    "det seneste år", "siden sommer", "det seneste halve år", "i lidt over et år",
    "siden Barnets Lov trådte i kraft", "i efteråret", "i foråret", "de sidste par år",
)
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag")
REGIONAL_MEETINGS = (
    "forårets netværksmøde i {region}", "efterårets netværksmøde i {region}",
    "netværksmødet i {region}", "erfaringsnetværket i {region}", "workshoppen i {region}",
)
NATIONAL_MEETINGS = (
    "den landsdækkende konference", "kick-off for hele netværket",
    "det landsdækkende netværksmøde", "afslutningskonferencen",
)


@dataclass(frozen=True)
class ThemeWords:
    """What people write about under one theme."""

    # Noun phrases that fit after "med", "om", "på": the topic's subject.
    subjects: tuple[str, ...]
    # (singular, singular definite, plural, plural definite): the forms search must match.
    terms: tuple[tuple[str, str, str, str], ...]
    # Whole sentences of practice and policy, used in openings and replies.
    facts: tuple[str, ...]


ANBRINGELSE = ("anbringelse", "anbringelsen", "anbringelser", "anbringelserne")
BOERNESAMTALE = ("børnesamtale", "børnesamtalen", "børnesamtaler", "børnesamtalerne")
PLEJEFAMILIE = ("plejefamilie", "plejefamilien", "plejefamilier", "plejefamilierne")
ANBRINGELSESSAG = ("anbringelsessag", "anbringelsessagen", "anbringelsessager",
                   "anbringelsessagerne")

THEME_WORDS: dict[str, ThemeWords] = {
    "barnets-lov": ThemeWords(
        subjects=(
            "implementeringen af Barnets Lov", "Barnets Lov i praksis",
            "de nye krav i Barnets Lov", "barnets perspektiv i Barnets Lov",
            "børnesamtalen efter Barnets Lov", "den børnefaglige undersøgelse",
            "barnets plan", "opfølgning efter Barnets Lov", "nye sagsskabeloner",
        ),
        terms=(
            BOERNESAMTALE,
            ("børnefaglig undersøgelse", "den børnefaglige undersøgelse",
             "børnefaglige undersøgelser", "de børnefaglige undersøgelser"),
            ("sagsskabelon", "sagsskabelonen", "sagsskabeloner", "sagsskabelonerne"),
            ("afgørelse", "afgørelsen", "afgørelser", "afgørelserne"),
            ("ungeplan", "ungeplanen", "ungeplaner", "ungeplanerne"),
        ),
        facts=(
            "Barnets Lov trådte i kraft 1. januar 2024, og vi er stadig i gang med at finde "
            "formen.",
            "Med Barnets Lov skal barnets perspektiv fylde mere i alle dele af sagen.",
            "Vi har lavet vores sagsskabeloner om, så de følger Barnets Lov.",
            "Børn har med Barnets Lov ret til en bisidder og til selv at klage, fra de er 10 år.",
            "Den børnefaglige undersøgelse skal være mere målrettet, og det kræver et andet "
            "fokus i sagsbehandlingen.",
            "Barnets plan skal være kort og forståelig for barnet, og det er sværere, end det "
            "lyder.",
            "Implementeringen af Barnets Lov kræver både ledelse, kompetenceudvikling og "
            "tålmodighed.",
            "Vi har holdt temadage for alle medarbejdere om de nye regler i Barnets Lov.",
        ),
    ),
    "tidlig-indsats": ThemeWords(
        subjects=(
            "tidlig indsats i dagtilbud", "samarbejdet med PPR", "forebyggelse på skoleområdet",
            "tidlig opsporing", "sundhedsplejerskens rolle", "familiehuse og åben rådgivning",
            "underretninger fra skolerne", "den tidlige forebyggende indsats",
        ),
        terms=(
            ("tidlig indsats", "den tidlige indsats", "tidlige indsatser", "de tidlige indsatser"),
            ("underretning", "underretningen", "underretninger", "underretningerne"),
            ("forebyggende indsats", "den forebyggende indsats", "forebyggende indsatser",
             "de forebyggende indsatser"),
            ("sundhedsplejerske", "sundhedsplejersken", "sundhedsplejersker",
             "sundhedsplejerskerne"),
            ("skole", "skolen", "skoler", "skolerne"),
            ("dagtilbud", "dagtilbuddet", "dagtilbud", "dagtilbuddene"),
        ),
        facts=(
            "Jo tidligere vi kommer ind, jo mindre indgribende kan indsatsen være.",
            "Sundhedsplejersken er ofte den første, der ser, at en familie er ved at komme i "
            "vanskeligheder.",
            "Vi har fået PPR og skolerne tættere på, så bekymringer bliver drøftet, før de bliver "
            "til underretninger.",
            "Den tidlige indsats i dagtilbud og skole er afgørende for, at færre børn skal "
            "anbringes.",
            "Vi har oprettet et familiehus, hvor forældre kan få rådgivning uden en sag.",
            "Underretningerne fra skolerne er steget, og vi skal blive bedre til at handle "
            "tidligt.",
            "Forebyggende indsatser er en investering, der først kan ses i tallene efter nogle år.",
            "Vi har en åben rådgivning, hvor familier kan henvende sig anonymt.",
        ),
    ),
    "netvaerksanbringelser": ThemeWords(
        subjects=(
            "netværksanbringelser", "afdækning af barnets netværk",
            "godkendelse af netværksplejefamilier", "flere netværksanbringelser",
            "støtte til netværksplejefamilier", "netværksmøder før en anbringelse",
            "slægten som ressource", "mobilisering af netværket",
        ),
        terms=(
            ("netværksanbringelse", "netværksanbringelsen", "netværksanbringelser",
             "netværksanbringelserne"),
            ("netværksplejefamilie", "netværksplejefamilien", "netværksplejefamilier",
             "netværksplejefamilierne"),
            ANBRINGELSE,
            ("netværksmøde", "netværksmødet", "netværksmøder", "netværksmøderne"),
        ),
        facts=(
            "En netværksanbringelse kan give barnet kontinuitet og kontakt til sin familie.",
            "Vi afdækker netværket allerede ved den første bekymring, ikke først når "
            "anbringelsen er besluttet.",
            "Netværksplejefamilier har brug for en anden form for støtte end traditionelle "
            "plejefamilier.",
            "Det kræver mod at se slægten som en ressource, også når relationerne er svære.",
            "Vi bruger netværksmøder til at mobilisere familien, før vi overvejer en anbringelse "
            "uden for netværket.",
            "Andelen af netværksanbringelser er et af de nøgletal, vi følger tættest.",
            "Godkendelsen af netværksplejefamilier tager for lang tid, og imens venter barnet.",
            "Konflikter mellem forældre og netværksplejefamilie er en af de største risici for "
            "sammenbrud.",
        ),
    ),
    "familiepleje": ThemeWords(
        subjects=(
            "kvalitet i familieplejen", "rekruttering af plejefamilier",
            "fastholdelse af plejefamilier", "supervision af plejefamilier",
            "samarbejdet med familieplejekonsulenterne", "kurser for nye plejefamilier",
            "matchning af barn og plejefamilie", "familieplejeanbringelser af teenagere",
        ),
        terms=(
            PLEJEFAMILIE,
            ("familieplejekonsulent", "familieplejekonsulenten", "familieplejekonsulenter",
             "familieplejekonsulenterne"),
            ("familieplejeanbringelse", "familieplejeanbringelsen", "familieplejeanbringelser",
             "familieplejeanbringelserne"),
            ("supervision", "supervisionen", "supervisioner", "supervisionerne"),
        ),
        facts=(
            "Det er blevet sværere at rekruttere plejefamilier, især til teenagere.",
            "Vores familieplejekonsulenter følger hver plejefamilie tæt det første år.",
            "Plejefamilierne efterspørger mere supervision og et fast holdepunkt i kommunen.",
            "Matchningen mellem barn og plejefamilie er afgørende for, om anbringelsen holder.",
            "Kvalitet i familieplejen handler også om efteruddannelse og netværk for "
            "plejeforældrene.",
            "Vi har samlet familieplejeområdet i ét team, så plejefamilierne har én indgang.",
            "Når en familieplejeanbringelse bryder sammen, er det ofte, fordi støtten kom for "
            "sent.",
            "Vi har gode erfaringer med fælles kurser for plejefamilier på tværs af kommuner.",
        ),
    ),
    "anbringelser": ThemeWords(
        subjects=(
            "færre skift i anbringelser", "kombinationsanbringelser",
            "færre anbringelser på døgninstitution", "sammenbrud i anbringelser",
            "kvalitet i anbringelserne", "hjemgivelse efter en anbringelse",
            "stabilitet for anbragte børn", "valg af anbringelsessted",
        ),
        terms=(
            ANBRINGELSE,
            ("kombinationsanbringelse", "kombinationsanbringelsen", "kombinationsanbringelser",
             "kombinationsanbringelserne"),
            ("anbringelsessted", "anbringelsesstedet", "anbringelsessteder",
             "anbringelsesstederne"),
            ("døgninstitution", "døgninstitutionen", "døgninstitutioner", "døgninstitutionerne"),
            ("hjemgivelse", "hjemgivelsen", "hjemgivelser", "hjemgivelserne"),
        ),
        facts=(
            "Hvert skift i en anbringelse koster barnet relationer, skolegang og tryghed.",
            "Kombinationsanbringelser kan være et godt alternativ til en døgninstitution.",
            "Vi vil have færre børn anbragt på døgninstitution og flere i familiepleje.",
            "Sammenbrud i anbringelser sker oftest i teenageårene.",
            "Kvaliteten i anbringelserne afhænger af et tæt samarbejde med anbringelsesstedet.",
            "Vi følger nøje op på, hvor mange skift børnene oplever, mens de er anbragt.",
            "Hjemgivelse kræver lige så meget forberedelse som selve anbringelsen.",
            "Valget af anbringelsessted skal bygge på barnets behov, ikke på hvor der er plads.",
        ),
    ),
    "helhedsorienteret-indsats": ThemeWords(
        subjects=(
            "tværfagligt samarbejde med PPR og skole", "én plan for familien",
            "helhedsorienteret indsats", "samarbejdet med børne- og ungepsykiatrien",
            "koordinering på tværs af forvaltninger", "sammenhængende forløb for familier",
            "det tværfaglige team",
        ),
        terms=(
            ("indsats", "indsatsen", "indsatser", "indsatserne"),
            ("koordinator", "koordinatoren", "koordinatorer", "koordinatorerne"),
            ("familie", "familien", "familier", "familierne"),
            ("handleplan", "handleplanen", "handleplaner", "handleplanerne"),
            ("tværfagligt møde", "det tværfaglige møde", "tværfaglige møder",
             "de tværfaglige møder"),
        ),
        facts=(
            "Mange familier har kontakt til fem eller flere fagpersoner på samme tid.",
            "Én plan for familien giver overblik for både forældre og fagfolk.",
            "PPR, skolen og myndighed mødes nu fast om de børn, der bekymrer os mest.",
            "Det tværfaglige samarbejde med børne- og ungepsykiatrien er fortsat svært.",
            "En fast koordinator gør en stor forskel for familier med mange sager.",
            "Vi har prøvet at samle indsatserne, så familien ikke skal fortælle sin historie igen "
            "og igen.",
            "Samarbejdet med voksenområdet er vigtigt, når forældrene selv har brug for hjælp.",
            "Det helhedsorienterede arbejde kræver, at ledelsen på tværs af forvaltninger trækker "
            "i samme retning.",
        ),
    ),
    "inddragelse": ThemeWords(
        subjects=(
            "inddragelse af børn og unge", "børns rettigheder", "børnesamtaler med de mindste",
            "barnets perspektiv", "bisiddere til børn", "inddragelse af forældre",
            "børnepaneler i kommunen", "klageadgang fra 10 år",
        ),
        terms=(
            BOERNESAMTALE,
            ("bisidder", "bisidderen", "bisiddere", "bisidderne"),
            ("rettighed", "rettigheden", "rettigheder", "rettighederne"),
            ("børnepanel", "børnepanelet", "børnepaneler", "børnepanelerne"),
            ("inddragelse", "inddragelsen", "inddragelser", "inddragelserne"),
        ),
        facts=(
            "Børnesamtalen er mere end en formalitet: den skal kunne ændre noget i sagen.",
            "Børn har ret til at blive hørt, og fra de er 10 år har de også selvstændig "
            "klageadgang.",
            "Vi bruger børnepaneler til at høre, hvordan børnene oplever mødet med kommunen.",
            "Inddragelse af de mindste børn kræver andre metoder end samtaler.",
            "En bisidder kan gøre det lettere for barnet at sige, hvad det mener.",
            "Forældrene skal også inddrages, selv når samarbejdet er svært.",
            "Vi har uddannet medarbejderne i børnesamtaler med fokus på barnets eget sprog.",
            "Barnets perspektiv skal kunne ses tydeligt i alle afgørelser.",
        ),
    ),
    "sagsbehandling": ThemeWords(
        subjects=(
            "fast myndighedsperson", "kontinuitet i sagsbehandlingen",
            "sagsstammer og arbejdsmiljø", "færre sagsbehandlerskift", "kvalitet i opfølgningen",
            "rekruttering af socialrådgivere", "overdragelse af sager",
            "retssikkerhed i anbringelsessager",
        ),
        terms=(
            ("sagsbehandler", "sagsbehandleren", "sagsbehandlere", "sagsbehandlerne"),
            ANBRINGELSESSAG,
            ("myndighedsperson", "myndighedspersonen", "myndighedspersoner",
             "myndighedspersonerne"),
            ("sagsstamme", "sagsstammen", "sagsstammer", "sagsstammerne"),
            ("opfølgning", "opfølgningen", "opfølgninger", "opfølgningerne"),
        ),
        facts=(
            "En fast myndighedsperson er noget af det, børnene selv efterspørger mest.",
            "Høje sagsstammer gør det svært at sikre kontinuitet i sagsbehandlingen.",
            "Vi har arbejdet med at gøre overdragelsen af sager bedre, når en sagsbehandler "
            "stopper.",
            "Retssikkerheden i anbringelsessagerne kræver grundig dokumentation og rettidig "
            "opfølgning.",
            "Rekruttering og fastholdelse af socialrådgivere er en af vores største udfordringer.",
            "Vi har indført faste opfølgningsdatoer, så ingen sager bliver glemt.",
            "Kvalitet i sagsbehandlingen handler både om faglighed, tid og ledelse tæt på.",
            "Vi har reduceret antallet af sagsbehandlerskift ved at organisere teams efter "
            "børnenes alder.",
        ),
    ),
    "hverdagsliv": ThemeWords(
        subjects=(
            "hverdagsliv i anbringelsen", "skolegang for anbragte børn",
            "samvær med forældre og søskende", "fritidsliv og venskaber",
            "barnets netværk under anbringelsen", "normalitet i hverdagen",
            "skolen som beskyttende faktor",
        ),
        terms=(
            ("fritidsaktivitet", "fritidsaktiviteten", "fritidsaktiviteter",
             "fritidsaktiviteterne"),
            ("søskendeforhold", "søskendeforholdet", "søskendeforhold", "søskendeforholdene"),
            ("samværsordning", "samværsordningen", "samværsordninger", "samværsordningerne"),
            ("skoleskift", "skoleskiftet", "skoleskift", "skoleskiftene"),
            ANBRINGELSE,
        ),
        facts=(
            "For anbragte børn er det vigtigt at bevare skolen og kammeraterne, når det er muligt.",
            "Samvær med søskende bliver nogle gange glemt, når der planlægges en anbringelse.",
            "Fritidsaktiviteter giver anbragte børn et frirum og et netværk uden for systemet.",
            "Hverdagslivet i anbringelsen skal ligne andre børns så meget som muligt.",
            "Skolen er en af de stærkeste beskyttende faktorer for anbragte børn.",
            "Vi har aftaler med idrætsforeningerne om at hjælpe anbragte børn ind i fritidslivet.",
            "Barnets netværk skal bevares under anbringelsen, ikke kun før og efter.",
            "Det er de små ting i hverdagen, børnene husker: at nogen kommer til deres "
            "fodboldkamp.",
        ),
    ),
    "voksenliv": ThemeWords(
        subjects=(
            "efterværn efter det 18. år", "overgangen til voksenlivet",
            "samarbejdet med voksenområdet", "uddannelse og job for tidligere anbragte",
            "kontaktpersoner til unge over 18", "boliger til unge i efterværn", "ungeplanen",
        ),
        terms=(
            ("ung", "den unge", "unge", "de unge"),
            ("kontaktperson", "kontaktpersonen", "kontaktpersoner", "kontaktpersonerne"),
            ("overgang", "overgangen", "overgange", "overgangene"),
            ("ungeplan", "ungeplanen", "ungeplaner", "ungeplanerne"),
            ("efterværnsindsats", "efterværnsindsatsen", "efterværnsindsatser",
             "efterværnsindsatserne"),
        ),
        facts=(
            "Overgangen til voksenlivet er en af de mest sårbare perioder for tidligere anbragte "
            "unge.",
            "Efterværn til unge mellem 18 og 23 år skal planlægges i god tid.",
            "Samarbejdet med voksenområdet og jobcentret skal starte, før den unge fylder 18 år.",
            "En fast kontaktperson efter det 18. år gør en stor forskel for de unge.",
            "Mange unge mangler en bolig, når anbringelsen slutter.",
            "Vi har gode erfaringer med at lade den unge blive boende i plejefamilien efter det "
            "18. år.",
            "Uddannelse er den bedste beskyttelse mod et liv på kanten, og det skal efterværnet "
            "understøtte.",
            "Ungeplanen skal laves sammen med den unge, ikke for den unge.",
        ),
    ),
    "civilsamfund": ThemeWords(
        subjects=(
            "samarbejde med frivillige foreninger", "mentorordninger",
            "civilsamfundet som ressource", "partnerskaber med foreninger",
            "frivillige i familiearbejdet", "fritidsguider til anbragte børn",
        ),
        terms=(
            ("frivillig", "den frivillige", "frivillige", "de frivillige"),
            ("forening", "foreningen", "foreninger", "foreningerne"),
            ("mentor", "mentoren", "mentorer", "mentorerne"),
            ("partnerskab", "partnerskabet", "partnerskaber", "partnerskaberne"),
        ),
        facts=(
            "Frivillige kan give børn og familier noget, som kommunen ikke kan.",
            "Vi har et partnerskab med en lokal forening om mentorer til anbragte unge.",
            "Civilsamfundet er en vigtig ressource, men samarbejdet skal have en tydelig ramme.",
            "Frivillige mentorer har hjulpet flere af vores unge i uddannelse.",
            "Foreningslivet kan være en vej til et netværk, der holder efter anbringelsen.",
            "Vi samarbejder med frivillige om lektiehjælp og fritidsguider.",
            "Det kræver en fast kontaktperson i kommunen at holde samarbejdet med foreningerne "
            "i gang.",
            "Tavshedspligten skal håndteres, når frivillige kommer tæt på familierne.",
        ),
    ),
    "adoption": ThemeWords(
        subjects=(
            "adoption uden samtykke", "permanens for anbragte børn", "adoption af plejebørn",
            "åben adoption og kontakt til den biologiske familie", "stabilitet og permanens",
            "adoption som mulighed i anbringelsessager",
        ),
        terms=(
            ("adoption", "adoptionen", "adoptioner", "adoptionerne"),
            ("plejebarn", "plejebarnet", "plejebørn", "plejebørnene"),
            ANBRINGELSESSAG,
            PLEJEFAMILIE,
        ),
        facts=(
            "Adoption kan give permanens for børn, der ikke kan vende hjem.",
            "Adoption uden samtykke er en stor beslutning, som kræver grundig forberedelse.",
            "Vi har drøftet, hvornår adoption skal overvejes i en anbringelsessag.",
            "Kontakten til den biologiske familie kan bevares gennem en åben adoption.",
            "For nogle plejebørn er adoption i plejefamilien den mest stabile løsning.",
            "Permanens handler om mere end jura: det handler om at høre til.",
            "Vi har få sager om adoption og mangler erfaring med forløbet.",
            "Barnets perspektiv skal være tydeligt, når adoption vurderes.",
        ),
    ),
    "ledelse": ThemeWords(
        subjects=(
            "ledelse af forandring", "implementering i organisationen", "styring med nøgletal",
            "faglig ledelse", "arbejdsmiljø og fastholdelse", "ledelsesinformation",
            "ledelse på tværs af myndighed og udfører", "prioritering i en presset økonomi",
        ),
        terms=(
            ("leder", "lederen", "ledere", "lederne"),
            ("medarbejder", "medarbejderen", "medarbejdere", "medarbejderne"),
            ("forandring", "forandringen", "forandringer", "forandringerne"),
            ("nøgletal", "nøgletallet", "nøgletal", "nøgletallene"),
            ("implementeringsplan", "implementeringsplanen", "implementeringsplaner",
             "implementeringsplanerne"),
        ),
        facts=(
            "Implementering kræver, at ledelsen går forrest og holder fast i retningen.",
            "Vi bruger nøgletal og ledelsesinformation til at følge udviklingen måned for måned.",
            "Forandringer lykkes, når medarbejderne er med fra starten.",
            "Faglig ledelse tæt på praksis er afgørende for kvaliteten i sagerne.",
            "Arbejdsmiljøet er presset, og det påvirker fastholdelsen af medarbejdere.",
            "Vi har lavet en implementeringsplan med klare milepæle for det næste år.",
            "Ledelse på tværs af myndighed og udfører kræver fælles mål og fælles sprog.",
            "Prioritering er svært, når økonomien er presset og opgaverne vokser.",
        ),
    ),
}

# Templates. Slots in braces are filled in by the writer; "{muni}" only appears in fresh (unpooled)
# templates, because a pooled block is reused by authors from other municipalities.
TITLES: dict[str, tuple[str, ...]] = {
    TopicKind.SPARRING: (
        "Hvordan arbejder I med {subject}?", "Sparring på {subject}",
        "Søger erfaringer med {subject}", "Hvem har en god model for {subject}?",
        "Gode råd om {subject}?", "Hvordan organiserer I {terms_def}?",
        "Hvordan sikrer I kvaliteten i {terms_def}?",
        "Hvordan får I {partner} med i arbejdet med {terms_def}?",
        "Spørgsmål om {subject} i en mindre kommune",
        "Hvordan prioriterer I {subject} med de ressourcer, vi har?",
        "Erfaring med {subject} og {partner}?", "Hjælp til {subject}",
        "Hvordan kommer vi videre med {subject}?",
    ),
    TopicKind.EXPERIENCE: (
        "Sådan arbejder vi med {subject} i {muni}", "Erfaringer fra {muni}: {subject}",
        "Vores erfaringer med {subject}", "Fra projekt til drift: {subject}",
        "Det lærte vi af at arbejde med {subject}", "{Subject} i praksis i {muni}",
        "Et år med {subject} i {muni}", "Godt i gang med {subject}",
        "Sådan fik vi styr på {terms_def}",
    ),
    TopicKind.DISCUSSION: (
        "{Subject} - hvor står vi?", "Drøftelse: {subject}",
        "Hvad betyder Børnene Først for {subject}?", "{Subject} og økonomien",
        "Er vi klar til {subject}?", "Hvordan måler vi kvaliteten af {subject}?",
        "Hvad er god praksis for {subject}?", "{Subject} på tværs af regionen",
        "Hvordan taler vi om {terms_def}?", "Skal vi tænke {subject} anderledes?",
    ),
    TopicKind.MATERIAL: (
        "Oplæg og slides: {subject}", "Referat fra {meeting}", "Dagsorden til {meeting}",
        "Materiale fra workshoppen om {subject}", "Slides fra oplægget om {subject}",
        "Skabelon og tjekliste: {subject}",
    ),
}

# Fresh: first sentence of an opening post, by kind.
OPENERS: dict[str, tuple[str, ...]] = {
    TopicKind.SPARRING: (
        "Vi står i {muni} med en udfordring omkring {subject}.",
        "I {muni} har vi {period} arbejdet med {subject}, men vi er kørt lidt fast.",
        "Jeg vil gerne have sparring på {subject}.",
        "Hos os i {muni} er vi ved at se på, hvordan vi organiserer arbejdet med {terms_def}.",
        "Efter Barnets Lov er der kommet mere fokus på {subject} hos os i {muni}.",
        "Som {role} i {muni} vil jeg gerne høre, hvordan andre griber {subject} an.",
        "Vi har i ledergruppen i {muni} drøftet {subject} flere gange {period}.",
        "Jeg sidder med et spørgsmål om {subject}, som jeg tror, flere kender.",
        "I {muni} fylder {terms_def} meget for tiden.",
    ),
    TopicKind.DISCUSSION: (
        "Jeg vil gerne starte en drøftelse om {subject}.",
        "Efter sidste netværksmøde har jeg tænkt en del over {subject}.",
        "Hvordan ser I på {subject} i lyset af Børnene Først?",
        "Der er mange meninger om {terms_def}, og jeg er nysgerrig på jeres perspektiv.",
        "I ledergruppen i {muni} har vi drøftet {subject}, og jeg vil gerne høre andres syn.",
        "Her er et spørgsmål til drøftelse om {subject} fra os i {muni}.",
        "Som {role} i {muni} oplever jeg, at {terms_def} ændrer sig hurtigt.",
    ),
    TopicKind.MATERIAL: (
        "Her er materialet fra {meeting}.",
        "Tak for et godt møde. Her er oplægget om {subject}.",
        "Vi har lagt slides og referat fra {meeting} op her.",
        "Dagsordenen til {meeting} er nu klar.",
        "Som lovet deler vi materialet om {subject} fra {meeting}.",
    ),
    TopicKind.EXPERIENCE: (
        "I {muni} havde vi for mange skift i sagerne, og børnene mødte hele tiden nye voksne.",
        "Arbejdet med {terms_def} kom ofte for sent i gang hos os i {muni}.",
        "Samarbejdet med {partner} om {subject} var præget af ventetid og uklare roller.",
        "Vi manglede overblik over {terms_def} på tværs af afdelingerne i {muni}.",
        "Vi havde {num} sager, hvor barnet havde haft mere end tre sagsbehandlere på to år.",
        "Medarbejderne i {muni} oplevede {subject} som noget, der kom oven i alt det andet.",
        "I {muni} lykkedes det os ikke at komme i gang med {subject}.",
    ),
}
REPLY_OPENERS = (
    "Tak for et godt spørgsmål.", "Godt at du tager det op, det er også et tema hos os i {muni}.",
    "Vi har haft præcis samme udfordring i {muni}.", "Det genkender jeg fuldt ud fra {muni}.",
    "Hos os i {muni} har vi gjort det lidt anderledes.",
    "Kort fra {muni}: vi har arbejdet med {subject} {period}.",
    "Jeg kan dele lidt af vores erfaringer fra {muni}.",
    "Spændende tråd, som {role} i {muni} kender jeg det godt.",
    "I {muni} har vi arbejdet med {subject} {period}.",
    "Hos os i {muni} har {terms_def} fyldt meget {period}.",
)
AUTHOR_FOLLOW_UPS = (
    "Tak for alle de gode svar.", "Det er rigtig brugbart, tak for input.",
    "Tak, det tager vi med på vores næste ledermøde i {muni}.",
    "Tak for det, jeg skriver til dig direkte.", "Godt input, især det om {terms_def}.",
    "Tak, vi prøver at starte med {subject} i et af vores teams.",
    "Tak for svarene, det giver os noget at arbejde videre med i {muni}.",
)
FACILITATOR_OPENERS = (
    "Tak for en god og vigtig tråd.", "Det er et tema, der går igen i flere regioner.",
    "Godt at se så mange erfaringer om {subject}.",
    "Tak til alle, der har delt erfaringer om {terms_def}.",
)

# Pooled: sentences without a municipality, reused across posts of the same theme.
DETAILS = (
    "Det er især samarbejdet med {partner}, der driller.",
    "Vi har lige nu {num} sager, hvor det har været svært at sikre kontinuitet.",
    "Medarbejderne oplever, at der mangler tid til {terms_def}.",
    "Vi har skiftet sagsbehandler flere gange i de samme sager, og det kan børnene mærke.",
    "Det er svært at få {partner} med tidligt nok.",
    "Vi mangler en fælles model for, hvordan vi følger op på {terms_def}.",
    "Arbejdet med {terms_def} kommer ofte for sent i gang, når familien allerede er presset.",
    "Vores {terms} er meget forskellige fra team til team.",
    "Vi kan se i nøgletallene, at vi ligger højt på {terms} sammenlignet med andre kommuner.",
    "Der er gode intentioner, men det bliver ikke altid til praksis i en travl hverdag.",
    "Vi har brugt {weeks} uger på at kortlægge vores {terms}, og billedet er ret broget.",
    "Det skaber usikkerhed hos både familier og medarbejdere.",
    "Vi har især svært ved at fastholde **{term_def}** som et fast punkt i sagen.",
)
QUESTIONS = (
    "Hvordan gør I hos jer?",
    "Er der nogen, der har en god skabelon eller procesbeskrivelse, de vil dele?",
    "Hvordan har I organiseret {term_def} i praksis?",
    "Hvad har virket for jer, og hvad ville I gøre anderledes i dag?",
    "Hvordan prioriterer I {terms_def}, når sagstallet er højt?",
    "Hvem har erfaring med at inddrage {partner} i {terms_def}?",
    "Hvordan sikrer I, at barnets perspektiv er med hele vejen?",
    "Er der nogen, der vil dele erfaringer på næste netværksmøde?",
    "Hvordan følger I op, så det ikke bliver en papirøvelse?",
    "Hvad tænker I?", "Er det noget, vi skal tage op i netværket?",
)
ANSWERS = (
    "Vi har samlet arbejdet med {terms_def} i ét team, så der er én fast indgang for {partner}.",
    "Vi holder netværksmøde allerede i den første uge, og det har gjort en stor forskel.",
    "Vi har indført faste sparringsmøder hver {weekday} med {partner}.",
    "Vi bruger en fast myndighedsperson i hele forløbet, også når barnet flytter.",
    "Det vigtigste for os har været **at inddrage barnet tidligt** og lytte til, hvad barnet "
    "selv siger.",
    "Vores erfaring er, at {terms_def} bliver bedre, når lederen følger tæt op.",
    "Vi har lavet en enkel tjekliste, som alle sagsbehandlere bruger.",
    "Efter {months} måneder kan vi se færre skift og mere ro i sagerne.",
    "Vi har fået midler til et projekt om {subject}, som bliver evalueret næste år.",
    "{Partner} deltager nu fast i vores tværfaglige møder.",
    "Vi har gode erfaringer med at lade {partner} deltage tidligt i arbejdet med {terms_def}.",
    "Det tog os cirka et år at få {subject} til at fungere i hverdagen.",
    "Vi har haft stor gavn af at besøge en anden kommune og se, hvordan de gør.",
    "Vi oplevede, at {terms_def} blev bedre, da vi gav medarbejderne mere tid til den enkelte "
    "sag.",
    "Vi bruger nøgletallene aktivt på vores ledermøder, så vi kan se, om {terms_def} rykker sig.",
    "Noget af det, der har hjulpet mest, er en **tydelig rollefordeling** mellem myndighed og "
    "udfører.",
    "Hos os har en {role_generic} ansvaret for {terms_def}.",
)
CLOSERS = (
    "Skriv endelig, hvis du vil høre mere.", "Jeg sender gerne vores procesbeskrivelse.",
    "Vi kan tage det op på næste netværksmøde i regionen.", "Held og lykke med det.",
    "Du er velkommen til at kontakte mig, så kan vi tage en snak.",
    "Jeg er spændt på at høre, hvad andre gør.",
    "Det er ikke perfekt endnu, men vi er på vej.",
    "Vi deler gerne vores skabelon til {terms_def}.",
)
DISCUSSION_POINTS = (
    "Reformen lægger op til, at {terms_def} skal styrkes, men økonomien er presset.",
    "Jeg oplever, at vi taler meget om {subject}, men at praksis ændrer sig langsomt.",
    "Det rejser spørgsmålet om, hvordan vi balancerer faglighed, retssikkerhed og økonomi.",
    "Det kræver ledelse at fastholde retningen, når hverdagen presser.",
    "Der er stor forskel på, hvordan kommunerne griber det an.",
    "Børnene Først har sat en tydelig retning, men vejen dertil er forskellig fra kommune til "
    "kommune.",
)
FACILITATOR_DETAILS = (
    "Vi tager {subject} med som tema på næste netværksmøde.",
    "Social- og Boligstyrelsen har materiale om {subject}, som vi lægger op under materialer.",
    "Flere kommuner arbejder med det samme, så det kunne være et oplagt emne for et "
    "erfaringsnetværk.",
    "Husk, at oplæggene fra sidste møde ligger under materialer i jeres region.",
)
MATERIAL_DETAILS = (
    "Oplægget handlede om {subject}, og om hvordan kommunerne kan arbejde videre med det.",
    "Referatet samler de vigtigste pointer fra drøftelserne ved bordene.",
    "Vi har også vedlagt den skabelon, som flere efterspurgte.",
    "Skriv gerne spørgsmål og kommentarer her i tråden.",
    "Materialet må gerne deles med jeres ledergrupper.",
    "Næste møde tager udgangspunkt i jeres erfaringer med {terms_def}.",
)
MATERIAL_ITEMS = (
    "Dagsorden", "Slides fra oplægget om {subject}", "Referat med de vigtigste pointer",
    "Skabelon til {terms_def}", "Tjekliste til {subject}", "Program for næste møde",
    "Litteraturliste", "Uddrag af nøgletalskataloget",
)
DID = (
    "Vi nedsatte en arbejdsgruppe med deltagelse fra myndighed, udfører og {partner}.",
    "Vi gjorde {subject} til en fast del af sagsgangen.",
    "Vi lavede en ny procesbeskrivelse for {terms_def}.",
    "Alle nye {terms} bliver nu drøftet på et fælles møde hver {weekday}.",
    "Vi uddannede {num} medarbejdere i en fælles metode.",
    "Vi indførte faste opfølgningsmøder efter {weeks} uger.",
    "Vi lavede klare aftaler med {partner} om, hvem der gør hvad.",
)
PRACTICES = (
    "fast myndighedsperson i hele forløbet", "netværksmøde inden for {weeks} uger",
    "**tydelig rollefordeling** med {partner}", "fælles sagsskabelon for {terms_def}",
    "børnesamtale før hver opfølgning", "månedlig ledelsesopfølgning på nøgletal",
    "supervision til plejefamilierne", "fælles kursus for myndighed og udfører",
    "kontaktperson til den unge efter det 18. år", "ugentlig sparring i teamet",
    "**tidlig inddragelse** af {partner}", "en kort og klar plan for barnet",
)
RESULTS = (
    "Efter {months} måneder er ventetiden næsten halveret.",
    "Vi kan se, at færre børn oplever skift, og at {terms_def} er mere stabile.",
    "Medarbejderne oplever mere ro og bedre faglig sparring.",
    "Børnene og familierne fortæller, at de føler sig bedre hørt.",
    "Andelen af {terms} er steget med {pct} procent på et år.",
    "Vi er ikke i mål, men retningen er tydelig.",
    "Sagsbehandlerne bruger mindre tid på koordinering og mere tid sammen med børnene.",
    "Samarbejdet med {partner} er blevet **markant bedre**.",
)
RECOMMENDATIONS = (
    "Start småt, og inddrag medarbejderne fra begyndelsen.",
    "Sørg for ledelsesmæssig opbakning, og følg op på nøgletallene.",
    "Lav klare aftaler med {partner} om, hvem der gør hvad.",
    "Giv det tid: det tog os et år at finde formen.",
    "Tag barnets perspektiv med i alle beslutninger.",
    "Brug netværket: der er meget at hente i andre kommuner.",
)
RECOMMENDED_PRACTICES = (
    "**start småt**, og udvid, når det virker", "inddrag {partner} fra starten",
    "følg op på {terms_def} hver måned", "brug børnesamtalen aktivt",
    "hold fast i den faste myndighedsperson", "del erfaringerne i netværket",
    "sæt tid af til {terms_def} i kalenderen", "gør det til en del af den faste sagsgang",
)
EXPERIENCE_HEADINGS = (
    "## Udfordring", "## Hvad gjorde vi", "## Resultat", "## Det vil vi anbefale",
)

# fmt: on
