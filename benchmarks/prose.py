"""Shared texts of the PII benchmarks (bench_pii.py, pii_eval.py)."""

from __future__ import annotations

# Sentences without numbers: most of real web prose.
PLAIN: dict[str, list[str]] = {
    "en": ["The garden looks lovely in the early morning light.", "We walked along the river and talked about old friends.",
           "This recipe needs fresh herbs, a little butter and patience.", "Nobody expected the small shop to become so popular."],
    "de": ["Der Garten sieht im Morgenlicht wunderschön aus.", "Wir sind am Fluss entlang gegangen und haben geredet.",
           "Für dieses Rezept braucht man frische Kräuter und etwas Geduld.", "Niemand hat erwartet, dass der kleine Laden so beliebt wird."],
    "fr": ["Le jardin est magnifique dans la lumière du matin.", "Nous avons marché le long de la rivière en parlant.",
           "Cette recette demande des herbes fraîches et un peu de patience.", "Personne ne pensait que la petite boutique aurait tant de succès."],
    "es": ["El jardín se ve precioso con la luz de la mañana.", "Caminamos junto al río hablando de viejos amigos.",
           "Esta receta necesita hierbas frescas y un poco de paciencia.", "Nadie esperaba que la pequeña tienda tuviera tanto éxito."],
    "it": ["Il giardino è bellissimo alla luce del mattino.", "Abbiamo camminato lungo il fiume parlando di vecchi amici.",
           "Questa ricetta richiede erbe fresche e un po' di pazienza.", "Nessuno si aspettava che il piccolo negozio diventasse famoso."],
    "nl": ["De tuin ziet er prachtig uit in het ochtendlicht.", "We liepen langs de rivier en praatten over oude vrienden.",
           "Dit recept vraagt om verse kruiden en wat geduld.", "Niemand had verwacht dat het winkeltje zo populair zou worden."],
    "pl": ["Ogród wygląda pięknie w porannym świetle.", "Szliśmy wzdłuż rzeki, rozmawiając o starych przyjaciołach.",
           "Ten przepis wymaga świeżych ziół i odrobiny cierpliwości.", "Nikt się nie spodziewał, że mały sklep stanie się tak popularny."],
    "pt": ["O jardim fica lindo com a luz da manhã.", "Caminhamos ao longo do rio conversando sobre velhos amigos.",
           "Esta receita precisa de ervas frescas e um pouco de paciência.", "Ninguém esperava que a pequena loja fizesse tanto sucesso."],
    "ja": ["朝の光の中で庭はとても美しく見えます。", "私たちは川沿いを歩きながら昔の友人の話をしました。",
           "このレシピには新鮮なハーブと少しの忍耐が必要です。", "小さな店がこれほど人気になるとは誰も思いませんでした。"],
    "zh": ["清晨的阳光下，花园显得格外美丽。", "我们沿着河边散步，聊起了老朋友。", "这道菜需要新鲜的香草和一点耐心。",
           "没有人想到这家小店会这么受欢迎。"],
    "ru": ["Утром сад выглядит особенно красиво.", "Мы гуляли вдоль реки и говорили о старых друзьях.",
           "Для этого рецепта нужны свежие травы и немного терпения.", "Никто не ожидал, что маленький магазин станет таким популярным."],
    "ko": ["아침 햇살 속에서 정원이 아름답게 보입니다.", "우리는 강을 따라 걸으며 옛 친구들 이야기를 나눴습니다.",
           "이 요리에는 신선한 허브와 약간의 인내가 필요합니다.", "작은 가게가 이렇게 인기를 끌 줄은 아무도 몰랐습니다."],
}
