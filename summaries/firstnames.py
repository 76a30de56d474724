"""First names and the gender they usually carry, in the languages newsbot reads: a leaf word list.

Used to tell a person from a place or an organisation and to resolve "he" and "she". Common names of each
language from general knowledge, not lists fitted to any article; a name used for both genders
("Dominique") is left out or listed once under its most frequent use.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MALE_NAMES = _words(
    """aaron abdul adam adrian ahmed al alan alastair albert alberto alec alejandro alessandro alex alexander alfie
    alfred ali alistair allan alvin amir andre andreas andrew andrés andy angelo angus anthony antonio archie
    arnold arthur barack barney barry basil ben benjamin bernard bernie bert bill billy bob bobby boris brad
    bradley brendan brett brian bruce bryan callum calvin cameron carl carlos cecil charles charlie chris
    christian christopher chuck clarence claude clint clive colin conor cormac craig curtis cyril dale damian
    damien dan daniel danny darren dave david dean declan denis dennis derek des desmond dick diego dmitry
    dominic don donald doug douglas duncan dwayne dylan ed eddie edgar edmund eduardo edward edwin elliot elton
    emmanuel eric ernest ernie eugene evan fabio felipe felix fernando francesco francis francisco frank frankie
    franz françois fred freddie frederick gareth garry gary gavin geoff geoffrey george gerald gerard gerry
    giles glen glenn gordon graeme graham grant greg gregory guy hamish hank hans harold harry harvey hector
    henrik henry herbert howard hugh hugo iain ian igor isaac ivan jack jacob jacques jake james jamie jan jason
    jean jeff jeffrey jens jeremy jerome jerry jesse jim jimmy joe joel johan johann johannes john johnny jon
    jonathan jordan jorge jose joseph josh joshua josé juan julian julien julio justin jürgen karl keith ken
    kenneth kenny kevin kieran kirk klaus kofi kurt kyle lance larry lars lee leo leon leonard leonardo les
    lewis liam lionel lloyd louis luca lucas luis luke malcolm marc marco marcus mario mark markus martin marvin
    mathew matt matthew maurice max michael michel mick mickey miguel mike miles mitchell mohamed mohammed
    muhammad murray nathan neil nelson nicholas nick nicolas nigel noel norman oliver omar oscar oskar owen
    pablo paddy paolo patrick paul pedro pete peter phil philip philippe phillip pierre piers quentin rafael
    ralf ralph ray raymond reg reginald rex rhys ricardo rich richard rick ricky rob robbie robert rod rodney
    roger roman ronald ronnie ross rowan roy rudolph rupert russell ryan sam sammy samuel scott sean sebastian
    sergei sergio seth shane shaun sidney silvio simon stan stanley stefan stephen steve steven stewart stuart
    ted terence terry theo thierry thomas tim timothy toby todd tom tommy tony trevor troy tyler uwe victor
    vijay vince vincent vladimir walt walter warren wayne wesley will william willie wolfgang xavier yusuf zach
    zachary jorg dieter horst heinz gunter helmut manfred werner rainer detlef ulrich benoit etienne yves
    herve luc gilles didier pascal alain christophe laurent olivier sebastien frederic rachid karim youssef"""
)
FEMALE_NAMES = _words(
    """abigail ada adele agnes aisha alexandra alexis alice alicia alison amanda amber amelia amy ana andrea angela
    angelina angie anita anja ann anna anne annette annie antonia april audrey barbara beatrice becky belinda
    beth bethany betty beverly brenda bridget britney brittany camilla carla carmen carol carole caroline
    carolyn cassandra cat cate catherine cathy cecilia celia charlene charlotte chelsea cheryl chloe christina
    christine cindy claire clara clare claudia colleen connie courtney cynthia daisy dana daniela danielle
    daphne dawn debbie deborah debra denise diana diane dolores donna doris dorothy edith edna eileen elaine
    eleanor elena elisabeth eliza elizabeth ella ellen eloise elsa emily emma erica erin esther ethel eva eve
    evelyn fatima felicity fiona florence frances françoise gabriele gail gemma georgia geraldine gillian gina
    ginny giselle gladys gloria grace gwen gwyneth hannah harriet hazel heather heidi helen helena hilary
    hillary holly ida imelda ingrid irene iris isabel isabella isabelle jackie jacqueline jade jan jane janet
    janice jasmine jean jeanette jennifer jenny jessica jill jo joan joanna joanne jodie josephine joy joyce
    judith judy julia julie juliet justine karen kate katharina katherine kathleen kathryn kathy katie kay kayla
    keira kelly kerry kirsty kristin laura lauren leah lena lily linda lindsay lisa liz lorraine louise lucy
    lucía lydia lynn lynne madeleine madison madonna maggie mandy margaret margot maria marian marie marilyn
    marion marjorie marta martha martina mary maureen maxine megan melanie melissa mia michelle mildred miranda
    molly monica monika nadia nancy naomi natalie natasha nathalie niamh nicola nicole nina nora norma olga
    olivia paige pamela patricia paula pauline penelope penny petra phoebe phyllis polly priya rachel rebecca
    regina renee rita roberta rosa rose rosemary ruth sabine sally samantha sandra sara sarah serena sharon
    sheila shirley siobhan sonia sophia sophie stacey stella stephanie sue susan suzanne svetlana sylvia sylvie
    tamara tanya teresa tessa theresa tina tracey tracy ursula valerie valérie vanessa vera veronica victoria
    violet virginia wendy whitney yvonne zoe erika gabi brigitte renate helga heike susanne birgit jutta
    anke silke helene genevieve ines lea aurelie martine monique sandrine celine veronique josiane colette
    odile chantal mireille"""
)

# More names in German, French, Spanish and other languages whose speakers are often quoted in those outlets.
MALE_NAMES = MALE_NAMES | _words(
    """
    abel adolfo adrián agustín ahmad aitor albrecht aldo alexandre alfonso alfredo alois alonso alvaro amadeo
    amadou ambroise amin anatole andrzej andré anselm anselmo antoine antón aristide armand armin arnaud arno
    arturo augusto aurelio axel baptiste barnaby bartolomé basile bastian bastien benedikt benito benoît
    bernardo bernd bertrand björn blas bogdan bruno burkhard carsten casimir cedric christoph claus clément
    conrado constantin cornelius cristian cristóbal curt césar damián dario darío dietmar dietrich dirk dmitri
    domingo dominik dominique eamon edmundo eduard egon ekkehard eliseo elmar emeric emil emiliano emilio emre
    enrique erich erik ernesto ernst esteban eugen eugenio eusebio evaristo fabian fabien fabián fabrice farid
    faustino federico fergus fermín fernand fidel finn florian franck franco friedrich fritz frédéric félix
    gabriel gaspar gaspard gaston gautier gaël gaëtan gerardo gerd gerhard germán gernot gilbert gonzalo
    gottfried gregor gregorio grégoire guido guillaume guillermo gunnar gustave gustavo gérard günter günther
    hamid hansjörg harald hartmut hassan heiko heinrich hendrik henri heriberto hermann hernán hervé hilario
    horace horacio hubert hugues humphrey ibrahim ignacio ingo isidro ismael iván jacinto jaime jakub jarvis
    jasper javier joachim joaquín jochen jonas jonty jordi joseba josef josué joël jules julián justo jérôme
    jörg karl-heinz kemal khalid konrad konstantin lambert leandro leonid leopold lorenzo lothar lucien ludovic
    ludwig lukas lutz léo léon malik manuel marcel marcelo marcos marek mariano marius martyn martín mathias
    mathieu matthias mattias matías mauricio maxime maximilian mehmet mikel moritz mustafa nacho neville nicolás
    niklas nikolai nils norbert octavio olaf oleg ollie osvaldo oswald otto paco patrice patricio pavel percy
    philipp piotr raimundo ramiro ramón raphaël rashid raúl reinhard reinhold renaud rené rigoberto roberto
    rodolfo rodrigo rogelio roland rolf romain rory rubén rudolf rémi rémy rüdiger sacha salvador sandro
    santiago seamus sebastián severin siegfried simón stanislav stéphane sven sylvain sébastien tariq teodoro
    thibault thilo thorsten tilman timo tobias tomasz tomás toni torsten tristan udo urs valentin vicente volker
    víctor wilfried wilhelm yann yannick zoltan álvaro ángel étienne óscar
    """
)
FEMALE_NAMES = FEMALE_NAMES | _words(
    """
    adela adelaida adriana agathe agnieszka agnès aitana alba alejandra alexia alina amalia amandine amélie
    anastasia anaïs angélique annegret annika antje araceli arantxa ariane armelle astrid aurora aurélie azucena
    beate belén benedikte berta bettina blanca bronwen béatrice camille candela carina carlota carmela carolina
    catalina christa christelle christiane ciara claudine clotilde clémence concepción conchi consuelo corinne
    cristina cécile céline dagmar deirdre delphine dominique dorothea dorothée edurne elfriede eliane elif elisa
    elke elodie eloísa elvira emilia encarna encarnación enid esperanza estela eugenia evelyne fabienne
    felicitas francine frauke frieda fátima gabrielle geneviève gerda gertrud gisela gracia graciela guadalupe
    gudrun gwendolyn hannelore hattie hedwig heide henriette hilda hildegard hortensia hélène ilse imogen inge
    ingeborg inmaculada inés irina irma irène isla jeanne jimena josefa josefina joëlle juana juliane juliette
    karin karla katarina katarzyna kathrin katrin laetitia laure laurence leila leonor leticia liliane
    lola lorena lourdes luciana lucie lucila ludmila luisa luise lydie léa mabel maeve magali magdalena maite
    malika manon manuela marcela margarethe margarita mariam mariana marianne marina marisa marisol marthe maría
    mathilde maud mercedes micheline michèle miriam moira montserrat morag muriel myriam nadine nadège natalia
    natalya nerys nieves noelia nuria océane oksana olena orla paloma pascale paulette philippa pilar pippa
    rebeca regine remedios rocío rosalind rosalía rosario rosemarie roswitha rowena sian silvia simone sofía
    solange soledad stéphanie susana sybille séverine tamsin tatiana thérèse ulrike una verónica virginie
    viviane véronique waltraud winifred yasmin yolanda yvette zainab zeynep zoé ángela élise élodie éléonore
    émilie
    """
)
MALE_NAMES = MALE_NAMES | _words("connor jake liam noah ethan mason logan luke owen harry george oscar")
FEMALE_NAMES = FEMALE_NAMES | _words("marguerite bernadette ava mia isla freya poppy evie lily grace ruby sophie megan")
