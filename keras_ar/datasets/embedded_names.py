"""A small list of common English first names, shipped so tests and demos need no download.

Written for keras-ar from general knowledge (common first names are facts, not
copyrighted data); lower case, ASCII letters only, unique. Use
``keras_ar.datasets.load("embedded_names", split)`` to get a deterministic
80/10/10 split; for real experiments use ``load("names")`` (32,033 names).
"""

NAMES = tuple("""
aaron abigail adam adrian aiden alan albert alexander alexis alice allison amanda amber
amelia amy andrea andrew angela anna anthony aria arthur ashley audrey austin ava barbara
benjamin beth betty bianca blake brandon brenda brian brittany brooke bruce caleb cameron
camila carl carlos carol caroline carter catherine charles charlotte chloe christian
christina christopher claire clara cody colin connor daniel david deborah dennis diana
donald donna dorothy dylan edward eleanor elijah elizabeth ella ellie emily emma eric
ethan eva evan evelyn faith frank gabriel gary george grace gregory hailey hannah harold
harper harry hazel heather helen henry hunter ian isaac isabella jack jacob james jane
janet jason jasmine jeffrey jennifer jeremy jessica joan john jonathan jordan joseph
joshua joyce julia julian justin karen katherine kayla keith kelly kenneth kevin kyle
laura lauren layla leah leo liam lillian lily linda logan lucas lucy luke madison
margaret maria mark martha mary mason matthew maya megan melissa mia michael michelle
mila nancy natalie nathan nicholas nicole noah nora oliver olivia owen patricia patrick
paul penelope peter rachel raymond rebecca richard riley robert ronald rose ruby ryan
samantha samuel sandra sara scarlett scott sean sebastian sharon sophia sophie stella
stephanie stephen steven susan taylor thomas timothy tyler victoria violet walter wayne
william wyatt zachary zoe
""".split())
