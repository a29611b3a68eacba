"""Reading plotly.js's style rules out of its bundle."""

import importlib.resources

from sim2l_web.plotly_css import global_rules
from sim2l_web.plotly_css import injected_sheets

BUNDLE_SHAPE = (
    'var a=1;var I0e={"X,X div":"margin:0;","X .modebar--hover > :not(.watermark)":'
    '"opacity:0;",Y:\'font-family:"Open Sans",verdana;\',"Y p":"margin:0;"}'
    ';for(bV in I0e)R0e=bV.replace(/^,/," ,").replace(/X/g,".js-plotly-plot .plotly")'
    '.replace(/Y/g,".plotly-notifier"),swt.addStyleRule(R0e,I0e[bV]);'
    'if(!document.getElementById("abc123def456")){var e=document.createElement("style");'
    "e.id=\"abc123def456\",e.textContent='.map{font:12px/20px Arial}.x{content:\\'a\\'}'"
)


def test_rules_from_the_bundles_shape():
    css = global_rules(BUNDLE_SHAPE)
    assert css.splitlines() == [
        ".js-plotly-plot .plotly,.js-plotly-plot .plotly div{margin:0;}",
        ".js-plotly-plot .plotly .modebar--hover > :not(.watermark){opacity:0;}",
        '.plotly-notifier{font-family:"Open Sans",verdana;}',
        ".plotly-notifier p{margin:0;}",
    ]
    assert injected_sheets(BUNDLE_SHAPE) == {
        "abc123def456": ".map{font:12px/20px Arial}.x{content:'a'}"
    }


def test_unexpected_shapes_give_no_rules_rather_than_a_guess():
    assert global_rules("var x={};") == ""
    assert global_rules(BUNDLE_SHAPE.replace('"margin:0;"', "margin0")) == ""
    assert injected_sheets("nothing here") == {}


def test_the_installed_bundle_yields_its_rules():
    source = importlib.resources.files("plotly").joinpath("package_data/plotly.min.js").read_text()
    css = global_rules(source)
    assert ".js-plotly-plot .plotly .modebar{" in css and css.count("\n") > 30
