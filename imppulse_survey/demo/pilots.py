"""One demo pilot per city: neighbourhood meetings in some districts, measured by the residents' and officers'
baseline and follow-up waves, with its actions, budget and targets, declared before the baseline was released.

The pilot districts are the most populous districts the simulation improves at follow-up (``simulation.py``), the
comparison districts the most populous of those it leaves alone: large enough that their figures are published.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..campaigns.models import Campaign, City
from ..pilots.models import Pilot
from ..pilots.services import Design, Target, add_action, add_budget_line, declare, find_pilot
from .simulation import is_pilot_district

PILOT_DISTRICTS = 2
COMPARISON_DISTRICTS = 3

DESCRIPTION = {
    "en": "Each month, residents and the officers who work in their district meet in a local hall to discuss what "
          "worries them, agree on priorities and review what was done since the last meeting.",
    "fr": "Chaque mois, les habitants et les policiers qui travaillent dans leur quartier se retrouvent dans une "
          "salle du quartier pour parler de ce qui les préoccupe, convenir de priorités et faire le point sur ce "
          "qui a été fait depuis la dernière rencontre.",
    "it": "Ogni mese i cittadini e gli agenti che lavorano nel loro quartiere si incontrano in una sala di quartiere "
          "per parlare di ciò che li preoccupa, concordare le priorità e fare il punto su quanto fatto dall'ultimo "
          "incontro.",
    "es": "Cada mes, el vecindario y los agentes que trabajan en su barrio se reúnen en un local del barrio para "
          "hablar de lo que les preocupa, acordar prioridades y revisar lo hecho desde el último encuentro.",
    "ca": "Cada mes, el veïnat i els agents que treballen al seu barri es troben en un local del barri per parlar "
          "del que els preocupa, acordar prioritats i revisar el que s'ha fet des de la darrera trobada.",
    "nl": "Elke maand komen bewoners en de agenten die in hun wijk werken samen in een buurtzaal om te bespreken "
          "wat hen zorgen baart, prioriteiten af te spreken en terug te blikken op wat sinds de vorige ontmoeting "
          "is gedaan.",
    "pt": "Todos os meses, os moradores e os agentes que trabalham no seu bairro reúnem-se numa sala do bairro para "
          "falar do que os preocupa, acordar prioridades e rever o que foi feito desde o último encontro.",
    "ar": "يلتقي السكان وعناصر الشرطة الذين يعملون في حيّهم كل شهر في قاعة محلية لمناقشة ما يقلقهم، والاتفاق على "
          "الأولويات، ومراجعة ما أُنجز منذ اللقاء السابق.",
    "tr": "Her ay sakinler ve mahallelerinde çalışan polis memurları, kendilerini kaygılandıran konuları konuşmak, "
          "öncelikler üzerinde anlaşmak ve son buluşmadan bu yana yapılanları gözden geçirmek için yerel bir salonda "
          "bir araya gelir.",
}
OBJECTIVES = {
    "en": "Raise residents' trust in the police and their sense that the police listen, in the pilot districts; "
          "bring officers' view of residents closer to what residents say.",
    "fr": "Renforcer la confiance des habitants dans la police et leur sentiment d'être écoutés, dans les quartiers "
          "pilotes ; rapprocher ce que les policiers pensent des habitants de ce que les habitants disent.",
    "it": "Aumentare la fiducia dei cittadini nella polizia e la sensazione di essere ascoltati, nei quartieri "
          "pilota; avvicinare ciò che gli agenti pensano dei cittadini a ciò che i cittadini dicono.",
    "es": "Aumentar la confianza del vecindario en la policía y la sensación de ser escuchado, en los barrios "
          "piloto; acercar lo que los agentes creen del vecindario a lo que el vecindario dice.",
    "ca": "Augmentar la confiança del veïnat en la policia i la sensació de ser escoltat, als barris pilot; "
          "apropar el que els agents creuen del veïnat al que el veïnat diu.",
    "nl": "Het vertrouwen van bewoners in de politie en hun gevoel gehoord te worden vergroten in de pilotwijken; "
          "wat agenten over bewoners denken dichter bij wat bewoners zeggen brengen.",
    "pt": "Aumentar a confiança dos moradores na polícia e o sentimento de serem ouvidos, nos bairros piloto; "
          "aproximar o que os agentes pensam dos moradores daquilo que os moradores dizem.",
    "ar": "تعزيز ثقة السكان بالشرطة وشعورهم بأن الشرطة تستمع إليهم، في أحياء المشروع التجريبي؛ وتقريب ما يظنه عناصر "
          "الشرطة عن السكان مما يقوله السكان.",
    "tr": "Pilot semtlerde sakinlerin polise güvenini ve dinlendikleri duygusunu artırmak; polislerin sakinler hakkında "
          "düşündüklerini sakinlerin söylediklerine yaklaştırmak.",
}
#: (name, who is responsible, starts so many days ago, ends so many days ago (negative: ahead; None: open-ended),
#: status), in the city's own language: staff write them so
ACTIONS = {
    "fr": (("Formation des policiers de quartier à l'animation de réunions", "Direction de la police municipale"),
           ("Rencontres mensuelles de quartier", "Mission tranquillité publique"),
           ("Patrouilles à pied décidées lors des rencontres", "Commissariat central"),
           ("Rapport d'évaluation au conseil municipal", "Mission tranquillité publique")),
    "it": (("Formazione degli agenti di quartiere alla conduzione di incontri", "Comando della polizia locale"),
           ("Incontri mensili di quartiere", "Ufficio sicurezza urbana"),
           ("Pattuglie a piedi decise negli incontri", "Comando della polizia locale"),
           ("Relazione di valutazione al consiglio comunale", "Ufficio sicurezza urbana")),
    "ca": (("Formació dels agents de barri en la conducció de trobades", "Guàrdia Urbana"),
           ("Trobades mensuals de barri", "Direcció de Prevenció"),
           ("Patrulles a peu acordades a les trobades", "Guàrdia Urbana"),
           ("Informe d'avaluació al plenari municipal", "Direcció de Prevenció")),
    "pt": (("Formação dos agentes de proximidade na condução de reuniões", "Polícia Municipal"),
           ("Encontros mensais de bairro", "Departamento de Segurança"),
           ("Patrulhas a pé acordadas nos encontros", "Polícia Municipal"),
           ("Relatório de avaliação à assembleia municipal", "Departamento de Segurança")),
}
ACTION_PLAN = ((330, 300, "done"), (230, 40, "done"), (200, None, "under_way"), (35, -30, "under_way"))
#: (line, planned, spent), in euros, in the city's own language
BUDGET = {
    "fr": ("Formation", "Salles de réunion et interprètes", "Affiches et dépliants", "Évaluation"),
    "it": ("Formazione", "Sale per gli incontri e interpreti", "Manifesti e volantini", "Valutazione"),
    "ca": ("Formació", "Sales de trobada i intèrprets", "Cartells i fullets", "Avaluació"),
    "pt": ("Formação", "Salas de reunião e intérpretes", "Cartazes e folhetos", "Avaliação"),
}
BUDGET_AMOUNTS = ((12000, 11400), (18000, 16250), (6000, 4800), (9000, 3000))
#: (indicator, baseline value, target value)
TARGETS = (("trust", 55.0, 62.0), ("listen_agree", 45.0, 55.0), ("relations", 50.0, 58.0))


def demo_pilot(city: City, residents: Campaign, officers: Campaign, texts: dict, today: dt.date) -> Pilot:
    """The city's pilot, declared once (found again on a later run)."""
    slug = f"{city.slug}-meetings"
    found = find_pilot(slug)
    if found is not None:
        return found
    languages = residents.languages
    largest = sorted(city.districts, key=lambda district: -(district.population or 0))
    pilot_codes = [d.code for d in largest if is_pilot_district(d.code)][:PILOT_DISTRICTS]
    comparison_codes = [d.code for d in largest if not is_pilot_district(d.code)][:COMPARISON_DISTRICTS]
    waves = {wave.label: wave for wave in residents.waves}
    officer_waves = {wave.label: wave for wave in officers.waves}
    design = Design(resident_campaign=residents, resident_baseline=waves["baseline"],
                    resident_follow_up=waves["follow-up"], pilot_districts=pilot_codes,
                    comparison_districts=comparison_codes, primary_indicator=TARGETS[0][0],
                    targets=[Target(*target) for target in TARGETS], officer_campaign=officers,
                    officer_baseline=officer_waves["baseline"], officer_follow_up=officer_waves["follow-up"])
    pilot, _ = declare(city, slug, {"title": {language: texts[language] for language in languages},
                                    "description": {language: DESCRIPTION[language] for language in languages},
                                    "objectives": {language: OBJECTIVES[language] for language in languages}},
                       design, now=dt.datetime.combine(today - dt.timedelta(days=310), dt.time(9), dt.UTC))
    language = city.default_language if city.default_language in ACTIONS else "fr"
    for (name, owner), (starts, ends, status) in zip(ACTIONS[language], ACTION_PLAN, strict=True):
        add_action(pilot, name, today - dt.timedelta(days=starts),
                   None if ends is None else today - dt.timedelta(days=ends), status, owner)
    for label, (planned, spent) in zip(BUDGET[language], BUDGET_AMOUNTS, strict=True):
        add_budget_line(pilot, label, Decimal(planned), Decimal(spent))
    return pilot
