"""Is a capitalised name a person, and which pronoun refers to them?

Attribution needs both: "he said" must skip "BBC Radio" and "the Licensing Act", and must skip a woman
named just before. Evidence comes from titles, common English first names (general knowledge, not taken
from any benchmark) and, most reliably, from the article itself: the pronoun that follows a mention.
"""

from __future__ import annotations

import re


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


MALE_TITLES = wordset("mr sir lord father king prince duke baron brother")
FEMALE_TITLES = wordset("mrs ms miss lady dame sister queen princess duchess baroness")

MALE_NAMES = wordset(
    """aaron abdul adam adrian ahmed al alan alastair albert alberto alec alejandro alessandro alex alexander
    alfie alfred ali alistair allan alvin amir andre andreas andrew andy angelo angus anthony
    antonio archie arnold arsene arthur barack barney barry basil ben benjamin bernard bernie
    bert bill billy bob bobby boris brad bradley brendan brett brian bruce bryan callum calvin cameron
    carl carlos cecil charles charlie chris christian christopher chuck clarence claude clint clive colin
    conor cormac craig curtis cyril dale damian damien dan daniel danny darren dave david dean declan
    denis dennis derek des desmond dick diego dmitry dominic don donald doug douglas duncan dwayne dylan
    ed eddie edgar edmund eduardo edward edwin elliot elton emmanuel eric ernest ernie eugene evan fabio
    felipe felix fernando francesco francis francisco frank frankie franz fred freddie frederick gareth
    garry gary gavin geoff geoffrey george gerald gerard gerry giles glen glenn gordon graeme graham grant
    greg gregory guy hamish hank hans harold harry harvey hector henry herbert howard hugh hugo iain ian
    igor isaac ivan jack jacob jacques jake james jamie jason jeff jeffrey jeremy jerome jerry jesse jim
    jimmy joe joel johan johann john johnny jon jonathan jordan jorge jose joseph josh joshua juan julian
    julio justin karl keith ken kenneth kenny kevin kieran kirk kofi kurt kyle lance larry lee leo
    leon leonard leonardo les lewis liam lionel lloyd louis luca lucas luis luke malcolm marc
    marco marcus mario mark martin marvin mathew matt matthew maurice max michael mick mickey miguel mike
    miles mitchell mohamed mohammed muhammad murray nathan neil nelson nicholas nick nicolas nigel noel
    norman oliver omar oscar owen pablo paddy paolo patrick paul pedro pete peter phil philip
    phillip pierre piers quentin rafael ralph ray raymond reg reginald rex rhys ricardo rich richard rick
    ricky rob robbie robert rod rodney roger roman ronald ronnie ross rowan roy rudolph rupert
    russell ryan sam sammy samuel scott sean sebastian sergei sergio seth shane shaun sidney silvio simon
    stan stanley stefan stephen steve steven stewart stuart ted terence terry theo thierry thomas tim
    timothy toby todd tom tommy tony trevor troy tyler victor vijay vince vincent vladimir walter warren
    wayne wesley will william willie wolfgang xavier yusuf zach zachary"""
)
FEMALE_NAMES = wordset(
    """abigail ada adele agnes aisha alexandra alexis alice alicia alison amanda amber amelia amy ana
    andrea angela angelina angie anita ann anna anne annette annie antonia april audrey barbara beatrice
    becky belinda beth bethany betty beverly brenda bridget britney brittany camilla carla carmen carol
    carole caroline carolyn cassandra cat cate catherine cathy cecilia celia charlene charlotte chelsea
    cheryl chloe christina christine cindy claire clara clare claudia colleen connie courtney cynthia daisy
    dana danielle daphne dawn debbie deborah debra denise diana diane dolores donna doris dorothy edith
    edna eileen elaine eleanor elena elisabeth eliza elizabeth ella ellen eloise elsa emily emma erica
    erin esther ethel eva eve evelyn fatima felicity fiona florence frances gail gemma georgia geraldine
    gillian gina ginny giselle gladys gloria grace gwen gwyneth hannah harriet hazel heather heidi helen
    helena hilary hillary holly ida imelda ingrid irene iris isabel isabella isabelle jackie jacqueline
    jade jan jane janet janice jasmine jean jeanette jennifer jenny jessica jill joan joanna joanne jodie
    josephine joy joyce judith judy julia julie juliet justine karen kate katherine kathleen kathryn
    kathy katie kay kayla keira kelly kerry kirsty kristin laura lauren leah lena liz lily linda lindsay
    lisa lorraine louise lucy lydia lynn lynne madeleine madison madonna maggie mandy margaret margot
    maria marian marie marilyn marion marjorie martha martina mary maureen maxine megan melanie melissa
    mia michelle mildred miranda molly monica nadia nancy naomi natalie natasha nathalie nicola nicole
    nina nora norma olga olivia paige pamela patricia paula pauline penelope penny phoebe phyllis polly
    priya rachel rebecca regina renee rita roberta rosa rose rosemary ruth sally samantha sandra sara
    sarah serena sharon sheila shirley siobhan sonia sophia sophie stacey stella stephanie sue susan
    suzanne svetlana sylvia tamara tanya teresa tessa theresa tina tracey tracy valerie vanessa vera
    veronica victoria violet virginia wendy whitney yvonne zoe"""
)
# Words that make a capitalised run an organisation, place, event or work rather than a person.
ORG_WORDS = wordset(
    """Act Agency Airlines Airport Alliance Association Authority Awards Bank Bill Board Books Bureau
    Championship Championships Church Club College Commission Committee Company Conference Congress
    Corporation Council Court Cup Democrat Democrats Department Exchange Executive Federation Festival
    Foundation Fund Games Government Group Hospital House Inc Institute League Ltd Markets Ministry Museum
    Network News Office Olympics Open Organisation Organization Parliament Partnership Party Police
    Press Programme Radio Railways Records Reserve School Service Services Show Society Squad Street
    Team Times Trust Union United University Week"""
)
_FUNCTION_WORDS = wordset("Of In The Their For And On At To With Over A An")


def first_name_gender(word: str) -> str | None:
    w = word.lower()
    return "m" if w in MALE_NAMES else "f" if w in FEMALE_NAMES else None


def is_org(name: str) -> bool:
    """Organisation-, place- or title-like capitalised run ("BBC Radio", "Stars In Their Eyes")."""
    words = [re.sub(r"['’]s?$", "", w) for w in name.split()]
    if any(w in ORG_WORDS for w in words) or any(w in _FUNCTION_WORDS for w in words[1:]):
        return True
    return len(words) >= 2 and len(words[-1]) == 1  # "England A", "Group B"


def trim_descriptors(name: str) -> str:
    """'Belgian Justine Henin-Hardenne' / 'Home Secretary Charles Clarke' → the name from its first name."""
    words = name.split()
    for i in range(1, len(words) - 1):
        if first_name_gender(words[i]):
            return " ".join(words[i:])
    return name


_MALE_PRONOUN = re.compile(r"\b(?:he|him|his|himself)\b", re.IGNORECASE)
_ANY_PRONOUN = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)


def following_pronoun(text: str) -> str | None:
    """Gender of the first personal pronoun in `text` (the words after a name, up to the next name)."""
    m = _ANY_PRONOUN.search(text)
    if m is None:
        return None
    return "m" if _MALE_PRONOUN.fullmatch(m.group(0)) else "f"
